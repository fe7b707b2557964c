"""Audit tools for reviewers, built only from the layers above (layer 6 of the design).

* :mod:`sr_audit.audit.identify` — which registered resize reproduces a given HR/LR data set.
* :mod:`sr_audit.audit.explain` — the PSNR/SSIM gap between two evaluation setups, one factor at a
  time.
* :mod:`sr_audit.audit.pitfalls` — the measured effect of classic evaluation mistakes.
* :mod:`sr_audit.audit.compare` — how far apart the backends' low-resolution images land.
* :mod:`sr_audit.audit.kernels` — the 1-D kernel each backend really applies, measured.
* :mod:`sr_audit.audit.score` — PSNR/SSIM of any model's outputs under the protocol presets.

Each returns a typed frozen result (a pandas table plus what produced it); the command-line
modules (``sr_audit.cli.identify_cmd``, ...) only print them.
"""
