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
from sr_audit.backends.regions import mapped_axis, reach
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


def _finish(out: np.ndarray, image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8 and out.dtype != np.uint8:
        return quantize(out, np.uint8, "half-to-even")
    return out.astype(image.dtype, copy=False)


def _build(spec: ResizeSpec) -> ResizeFn:
    from skimage.transform import resize

    order = _ORDERS[spec.kernel]
    aa = bool(spec.antialias)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        out = resize(image, tuple(size), order=order, anti_aliasing=aa, preserve_range=True)
        return _finish(out, image)

    return fn


def _zoom_shift() -> tuple[object, int] | None:
    """scipy's internal ``zoom_shift`` (what ``scipy.ndimage.zoom`` calls, given its zoom factors
    rather than computing them from the sizes) and the code of mode ``mirror``; None when this
    scipy has no such function."""
    try:
        from scipy.ndimage import _nd_image, _ni_support

        return _nd_image.zoom_shift, _ni_support._extend_mode_to_code("mirror")
    except (ImportError, AttributeError):  # pragma: no cover - another scipy layout
        return None


def _prefiltered_part(filtered: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``scipy.ndimage.spline_filter(filtered, 3, output=float64, mode="mirror")[:rows, :cols]``:
    the same 1-D passes (axis 0, then 1, then 2), each run only on the lines the part needs, as
    every line is filtered on its own: the columns whole, then the part's rows whole, then the
    part's pixels across the channels."""
    from scipy import ndimage as ndi

    out = ndi.spline_filter1d(filtered, 3, axis=0, output=np.float64, mode="mirror")
    out = ndi.spline_filter1d(out[:rows], 3, axis=1, output=np.float64, mode="mirror")
    if out.ndim == 3:
        out = ndi.spline_filter1d(np.ascontiguousarray(out[:, :cols]), 3, axis=2, output=np.float64, mode="mirror")
    return out[:, :cols]


def resize_region(
    spec: ResizeSpec, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float], region: tuple[int, int],
    in_size: tuple[int, int] | None = None,
) -> np.ndarray | None:
    """``fn(image, size, scale)[:region[0], :region[1]]`` bit for bit, computing only the kept
    output pixels (:mod:`sr_audit.backends.regions`).

    ``skimage.transform.resize`` (0.26, ``_warps.py``) converts the image to float64 (order > 0),
    blurs it with ``scipy.ndimage.gaussian_filter`` (antialiasing; sigma from the whole image's
    in/out, truncated at 4 sigma), zooms it with ``scipy.ndimage.zoom`` in grid mode (order 3:
    after ``spline_filter``) and clips the result to the converted image's min..max. This runs
    the same steps, with the zoom done by the function ``ndimage.zoom`` itself calls
    (``zoom_shift``) given the whole image's zoom factors (``in / out`` of the sizes) and only the
    kept output pixels: it maps each output index along each axis to ``(i + 0.5) * zoom - 0.5``
    and sums the spline weights of the taps there, so a part of the input that holds every tap of
    the kept pixels gives their values (``NI_ZoomShift``, ni_interpolation.c). Orders 0 and 1 blur
    and zoom a top-left part (the Gaussian reaches ``int(4 sigma + 0.5)`` pixels); order 3's
    spline prefilter is recursive over whole lines, so it runs on the whole lines the part's
    coefficients need (:func:`_prefiltered_part`) and only the zoom is cut. None when the part would be the whole image (orders 0 and 1), or this scipy has
    no ``zoom_shift``.
    """
    from scipy import ndimage as ndi
    from skimage._shared.utils import convert_to_float

    internal = _zoom_shift()
    if internal is None or image.dtype not in (np.uint8, np.float32, np.float64):
        return None
    if in_size is not None and tuple(in_size) != image.shape[:2]:
        return None  # the clip reads the whole image's range (and order 3's prefilter every pixel)
    zoom_shift, mode = internal
    image = np.ascontiguousarray(image)  # as sr_audit.resize.resize hands it to the resize callable
    order = _ORDERS[spec.kernel]
    in_shape = image.shape
    out_shape = tuple(size) + in_shape[2:]
    factors = np.divide(in_shape, out_shape)
    zoom = np.ascontiguousarray(np.divide(np.array(in_shape), np.array(out_shape)), dtype=np.float64)
    if np.all(factors == 1):
        return None
    sigma = np.maximum(0, (factors - 1) / 2) if spec.antialias else np.zeros(len(in_shape))
    blur = [int(4.0 * sd + 0.5) if sd > 1e-15 else 0 for sd in sigma]
    converted = convert_to_float(image, True) if order > 0 else image
    if order == 3:
        filtered = ndi.gaussian_filter(converted, sigma, cval=0.0, mode="mirror") if spec.antialias else converted
        dtype = filtered.dtype  # ndimage.zoom's output has its input's dtype, the prefilter float64
        parts = [min(n, reach(r, f, order + 1)) for n, r, f in zip(in_shape[:2], region, factors)]
        source = _prefiltered_part(filtered, parts[0], parts[1])
    else:
        parts = [mapped_axis(n, o, r, reach(r, f, order + 1 + b))[0] for n, o, r, f, b in zip(in_shape[:2], size, region, factors, blur)]
        if tuple(parts) == in_shape[:2]:
            return None
        part = converted[: parts[0], : parts[1]]
        source = ndi.gaussian_filter(part, sigma, cval=0.0, mode="mirror") if spec.antialias else part
        dtype = source.dtype
    source = np.ascontiguousarray(source[: parts[0], : parts[1]])
    out = np.empty(tuple(region) + in_shape[2:], dtype=dtype)
    zoom_shift(source, zoom, None, out, order, mode, 0.0, 0, True)
    np.clip(out, np.asarray(np.min(converted)), np.asarray(np.max(converted)), out=out)
    return _finish(out, image)


#: Input pixels beyond the kept output's footprint that :func:`resize_region_bounds` keeps on each
#: side it cuts: the cubic spline prefilter's pole is z = sqrt(3) - 2, so what a cut changes is
#: multiplied by |z| < 0.27 at each pixel, and at this distance by less than 4e-12.
SPLINE_TAIL = 20

#: Half-width of :func:`resize_region_bounds`' interval, relative to the part's largest absolute
#: value plus one. Measured on uniform noise at x2, x3 and x4 (the worst case for the prefilter's
#: tails): 2e-15 at this tail (floating-point noise), 1e-12 with a tail of 14, 4e-10 with 10.
BOUNDS_TOLERANCE = 1e-9


def resize_region_bounds(
    spec: ResizeSpec, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float], region: tuple[int, int],
    in_size: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lo, hi)`` with ``lo <= fn(X, size, scale)[:region[0], :region[1]] <= hi`` for the bicubic
    (order 3) kernel, computed from a small top-left part; ``X`` is ``image``, or, given
    ``in_size``, an image of that size whose top-left part ``image`` is.

    Order 3 has no exact part (:func:`resize_region` prefilters whole lines, and needs the whole
    image for its clip). This runs the same steps on a part as if it were the image (the
    Gaussian, the spline prefilter, the zoom with the whole image's factors on the kept pixels
    only) and widens every kept value by :data:`BOUNDS_TOLERANCE`: the prefilter is a recursive
    filter whose pole has magnitude below 0.27, so the cut changes the coefficients
    :data:`SPLINE_TAIL` pixels away by a negligible fraction of the values. The clip to the
    whole image's min..max is applied to both bounds when the whole image is given; given only a
    part, the whole range holds the part's range ``[m, M]``, so a value ``v`` becomes one in
    ``[min(v, M), max(v, m)]``. Both bounds then take the backend's own rounding (monotone, as
    clipping is). None for orders 0 and 1 (:func:`resize_region` is exact there) and where a
    part lacks the tail along an axis it cuts.

    Parameters
    ----------
    spec, image, size, scale, region, in_size
        As :func:`resize_region`.

    Returns
    -------
    (lo, hi) : tuple of ndarray or None
        Bounds of the region's values, in the dtype the backend returns for ``image``.
    """
    from scipy import ndimage as ndi
    from skimage._shared.utils import convert_to_float

    internal = _zoom_shift()
    if internal is None or _ORDERS[spec.kernel] != 3 or image.dtype not in (np.uint8, np.float32, np.float64):
        return None
    zoom_shift, mode = internal
    whole = tuple(in_size or image.shape[:2]) + image.shape[2:]
    factors = np.divide(whole, tuple(size) + image.shape[2:])
    sigma = np.maximum(0, (factors - 1) / 2) if spec.antialias else np.zeros(len(whole))
    blur = [int(4.0 * sd + 0.5) if sd > 1e-15 else 0 for sd in sigma]
    parts = []
    for n, have, r, f, b in zip(whole, image.shape[:2], region, factors, blur):
        need = reach(r, f, 4 + b) + b + SPLINE_TAIL
        if have < n and have < need:
            return None
        parts.append(min(have, need) if need < n else have)
    converted = convert_to_float(np.ascontiguousarray(image[: parts[0], : parts[1]]), True)
    filtered = ndi.gaussian_filter(converted, sigma, cval=0.0, mode="mirror") if spec.antialias else converted
    coefficients = ndi.spline_filter(filtered, 3, output=np.float64, mode="mirror")
    values = np.empty(tuple(region) + image.shape[2:], dtype=filtered.dtype)
    zoom_shift(coefficients, np.ascontiguousarray(factors, dtype=np.float64), None, values, 3, mode, 0.0, 0, True)
    tolerance = BOUNDS_TOLERANCE * (1.0 + float(np.max(np.abs(converted))))
    lo, hi = values - tolerance, values + tolerance
    if in_size is None or tuple(in_size) == image.shape[:2]:
        low, high = np.min(image), np.max(image)  # the whole image's range, as the library clips
        np.clip(lo, low, high, out=lo)
        np.clip(hi, low, high, out=hi)
    else:
        low, high = np.min(converted), np.max(converted)
        np.minimum(lo, high, out=lo)
        np.maximum(hi, low, out=hi)
    return _finish(lo.astype(values.dtype), image), _finish(hi.astype(values.dtype), image)

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
