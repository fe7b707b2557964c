"""scikit-image (``skimage.transform.resize``).

Conventions, measured on scikit-image 0.26 with impulse responses (``tests/test_backends.py``)
and read from ``skimage/transform/_warps.py``:

* The kernels are spline orders of ``scipy.ndimage.zoom``: ``nearest`` = order 0, ``bilinear`` =
  order 1, ``bicubic`` = order 3, which is **cubic B-spline interpolation with a prefilter**, not
  Keys cubic convolution (so ``cubic_a`` is None): its impulse response is wider and it
  reproduces the input samples exactly at integer positions.
* Pixel centres at half-integers (``grid_mode=True``); out-of-image taps and the spline
  prefilter use scikit-image's default ``mode='reflect'``, which is numpy's ``reflect`` and
  ndimage's ``mirror``: ``... c b | a b c ...`` (our ``reflect``).
* Antialiasing is not a widened kernel but a Gaussian prefilter (``scipy.ndimage.gaussian_filter``,
  same border mode, truncated at 4 sigma) with sigma = max(0, (1/s - 1) / 2) per axis, s = out/in,
  so it only acts on shrinking axes. The library's default (``anti_aliasing=None``) is on when any
  axis shrinks, except for integer input with order 0; the ``+aa`` default here follows the float
  rule for every kernel (``skimage:nearest`` blurs before picking when shrinking).
* Order 0 keeps integer input in its dtype: for uint8 the Gaussian runs on the 8-bit array in two
  1-D passes, each truncated toward zero (see ``uint8_path``, ``rounding = "truncate"``).
* ``clip=True`` (library default): the output is clipped to the input's min..max, which cuts the
  overshoot of order 3.
* The library only takes an output shape, so the mapping uses out/in (``scale_source =
  "sizes"``); its ``rescale`` rounds ``in * scale`` with numpy's round (ties to even) before
  calling ``resize``, which sr-audit's ``round`` rule matches except on exact ties.
"""
from __future__ import annotations

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.rounding import quantize

#: our kernel name -> spline order
_ORDERS: dict[str, int] = {"nearest": 0, "bilinear": 1, "bicubic": 3}

_NOTES = {
    0: "order 0 (nearest) of scipy.ndimage.zoom",
    1: "order 1 (linear) of scipy.ndimage.zoom",
    3: "order 3 of scipy.ndimage.zoom: cubic B-spline interpolation with a spline prefilter "
       "(mode 'mirror'), not Keys cubic convolution, hence cubic_a None",
}


_UINT8_FLOAT = (
    "preserve_range=True: the 0..255 values are converted to float64 and resized; sr-audit rounds "
    "the float64 result half to even (numpy.rint, as skimage.util.img_as_ubyte does) and saturates "
    "to 0..255"
)
_UINT8_NEAREST = (
    "order 0 keeps integer input as is: the Gaussian prefilter (when antialiasing) runs as two 1-D "
    "passes on the uint8 array, rows then columns, each result truncated toward zero by "
    "scipy.ndimage's integer output, then pixels are picked; without antialiasing pixels are copied"
)


def _conventions(spec: ResizeSpec) -> Conventions:
    order = _ORDERS[spec.kernel]
    aa = bool(spec.antialias)
    notes = _NOTES[order] + (
        "; antialiasing = Gaussian prefilter with sigma = max(0, (1/s - 1)/2) per axis (s = out/in), "
        "mode 'mirror', truncated at 4 sigma" if aa else "; no Gaussian prefilter"
    ) + (
        "; clip=True: output clipped to the input's min..max; float32 input stays float32 through "
        "the prefilter and zoom (scipy accumulates in float64 and stores float32)"
    )
    return Conventions(
        kernel=spec.kernel,
        cubic_a=None,
        antialias=aa,
        pixel_centre="half-pixel",
        border="reflect",
        size_rule="round",
        scale_source="sizes",
        pass_order=(
            "Gaussian prefilter (when antialiasing: rows, then columns) then one n-D zoom pass"
        ),
        uint8_path=_UINT8_NEAREST if order == 0 else _UINT8_FLOAT,
        float_precision="float64",
        rounding="truncate" if order == 0 else "half-to-even",
        dtypes=("uint8", "float32", "float64"),
        notes=notes,
    )


def _build(spec: ResizeSpec) -> ResizeFn:
    from skimage.transform import resize

    order = _ORDERS[spec.kernel]
    aa = bool(spec.antialias)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        out = resize(image, tuple(size), order=order, anti_aliasing=aa, preserve_range=True)
        if image.dtype == np.uint8 and out.dtype != np.uint8:
            return quantize(out, np.uint8, "half-to-even")
        return out.astype(image.dtype, copy=False)

    return fn


BACKEND = Backend(
    name="skimage",
    library="scikit-image",
    distribution="scikit-image",
    module="skimage",
    install_hint="pip install scikit-image",
    kernels={k: None for k in _ORDERS},
    antialias_default=True,
    conventions_fn=_conventions,
    build_fn=_build,
)
