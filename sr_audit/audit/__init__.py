"""Audit tools for reviewers, built only from the layers above (layer 6 of the design).

* :mod:`sr_audit.audit.identify` — which registered resize reproduces a given HR/LR data set.
* :mod:`sr_audit.audit.explain` — the PSNR/SSIM gap between two evaluation setups, one factor at a
  time.
* :mod:`sr_audit.audit.pitfalls` — the measured effect of classic evaluation mistakes.

Each returns a typed frozen result (a pandas table plus what produced it); the command-line
modules ``sr_audit.cli.identify_cmd``, ``explain_cmd`` and ``pitfalls_cmd`` only print them.
"""
