"""MATLAB ``imresize``, reproduced by the numpy port in :mod:`sr_audit.backends.matlab_port`.

Two backends, because MATLAB changed one convention and both generations produced data sets
people still use:

* ``matlab`` (:data:`MODERN`): R2015b and later, **symmetric** border (mirror, edge repeated).
* ``matlab-legacy`` (:data:`LEGACY`): the 2013-era release behind the SRCNN-era LR test sets
  (``legacy_selfexsr``), out-of-range taps **clamped** to the edge pixel.

Everything else is shared: Keys cubic with a = -0.5 (and MATLAB's bilinear/triangle, box, lanczos2,
lanczos3, nearest), antialiasing on when shrinking (switchable, ``matlab:bicubic-aa``; fixed off for
``nearest``, MATLAB's default there), u = x/s + 0.5(1 - 1/s), output ``ceil(scale * in)`` with the
given scale driving the mapping, the dimension with the smaller scale resampled first (height on a
tie), float64 arithmetic, integer input rounded half away from zero and saturated after each 1-D
pass. No MATLAB installation is needed: the port is pure numpy and matches MATLAB bit for bit on
the reference data (``tests/test_matlab_reference.py``).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec

#: Kernels of MATLAB imresize: None = antialiasing switchable (default on), False = always off.
_KERNELS: dict[str, bool | None] = {
    "bicubic": None,
    "bilinear": None,
    "triangle": None,
    "box": None,
    "lanczos2": None,
    "lanczos3": None,
    "nearest": False,
}

_UINT8_PATH = "computed in float64, rounded half away from zero and saturated after each 1-D pass"


def _conventions_for(border: str, notes: str) -> Callable[[ResizeSpec], Conventions]:
    def conventions(spec: ResizeSpec) -> Conventions:
        return Conventions(
            kernel=spec.kernel,
            cubic_a=-0.5 if spec.kernel == "bicubic" else None,
            antialias=bool(spec.antialias),
            pixel_centre="half-pixel",
            border=border,
            size_rule="ceil",
            scale_source="given",
            pass_order="the dimension with the smaller scale first; height first on a tie",
            uint8_path=_UINT8_PATH,
            float_precision="float64",
            rounding="half-away-from-zero",
            dtypes=("uint8", "uint16", "float32", "float64"),
            notes=notes,
        )

    return conventions


def _build_for(border: str) -> Callable[[ResizeSpec], ResizeFn]:
    def build(spec: ResizeSpec) -> ResizeFn:
        from sr_audit.backends import matlab_port

        kernel, antialias = spec.kernel, bool(spec.antialias)

        def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
            return matlab_port.resample(image, size, scale, kernel=kernel, antialias=antialias, border=border)

        return fn

    return build


MODERN = Backend(
    name="matlab",
    library="MATLAB imresize (R2015b+, numpy port)",
    distribution="numpy",
    module="numpy",
    install_hint="pip install numpy",
    kernels=_KERNELS,
    antialias_default=True,
    conventions_fn=_conventions_for(
        "symmetric",
        "numpy port of R2015b+ imresize; bit-exact against the R2015b and R2017b uint8 outputs, "
        "within 1e-13 of the R2019b float64 outputs; uint16 follows the uint8 rule; "
        "float32 is computed in float64 and returned as float32",
    ),
    build_fn=_build_for("symmetric"),
)

LEGACY = Backend(
    name="matlab-legacy",
    library="MATLAB imresize (2013-era, numpy port)",
    distribution="numpy",
    module="numpy",
    install_hint="pip install numpy",
    kernels=_KERNELS,
    antialias_default=True,
    conventions_fn=_conventions_for(
        "replicate",
        "numpy port of the 2013-era imresize (edge taps clamped); bit-exact against the legacy "
        "SelfExSR Set5/Set14 LR images; float32 is computed in float64 and returned as float32",
    ),
    build_fn=_build_for("replicate"),
)
