"""Pillow (``PIL.Image.resize``).

Conventions (Pillow's ``libImaging/Resample.c``): separable passes, width first then height (from
Pillow 13, height first when the height shrinks by enough more pixels than the width); the
kernel is always widened by 1/scale when shrinking (antialiasing cannot be switched off); pixel
centres at half-integers; taps that fall outside the image are dropped and the remaining weights
renormalised; cubic a = -0.5. 8-bit images use fixed-point coefficients with 22 fractional bits and
round half up, clipping to 0..255 after each pass. Float images go through mode ``'F'`` one channel
at a time: double accumulation, float32 storage after each pass. 16-bit images use mode ``'I;16'``.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.backends.regions import reach
from sr_audit.conventions import Conventions, ResizeSpec

#: our kernel name -> (Pillow Resampling member name, cubic a)
_FILTERS: dict[str, tuple[str, float | None]] = {
    "bicubic": ("BICUBIC", -0.5),
    "bilinear": ("BILINEAR", None),
    "lanczos3": ("LANCZOS", None),
    "box": ("BOX", None),
    "hamming": ("HAMMING", None),
    "nearest": ("NEAREST", None),
}


def _conventions(spec: ResizeSpec) -> Conventions:
    return Conventions(
        kernel=spec.kernel,
        cubic_a=_FILTERS[spec.kernel][1],
        antialias=bool(spec.antialias),
        pixel_centre="half-pixel",
        border="renormalise",
        size_rule="floor",
        scale_source="sizes",
        pass_order="width then height; from Pillow 13 the height first when it shrinks by enough more pixels than the width (python-pillow/Pillow#9549)",
        uint8_path="fixed point, 22 fractional bits, rounded half up and clipped after each pass",
        float_precision="float32",
        rounding="half-up",
        dtypes=("uint8", "uint16", "float32", "float64"),
        notes="float input is resized per channel in mode 'F'; uint16 in mode 'I;16' (grayscale or per channel)",
    )


#: Half width of each filter in input pixels before it is widened by the scale (Resample.c's
#: ``support``; nearest picks one pixel).
_SUPPORT: dict[str, float] = {"bicubic": 2.0, "bilinear": 1.0, "lanczos3": 3.0, "box": 0.5, "hamming": 1.0, "nearest": 0.5}

#: A box in Pillow's order (left, upper, right, lower), or None for the whole image.
_Box = tuple[float, float, float, float] | None


def _runner(spec: ResizeSpec) -> Callable[[np.ndarray, tuple[int, int], _Box], np.ndarray]:
    """``run(image, size, box)``: ``image`` resized to ``size`` (H, W) from ``box`` of it."""
    from PIL import Image

    resample = Image.Resampling[_FILTERS[spec.kernel][0]]

    def plane(arr: np.ndarray, size: tuple[int, int], box: _Box) -> np.ndarray:
        # one 2-D plane through the mode Pillow picks for its dtype: L, I;16 or F
        src = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
        return np.asarray(Image.fromarray(src).resize((size[1], size[0]), resample, box))

    def run(image: np.ndarray, size: tuple[int, int], box: _Box) -> np.ndarray:
        if image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
            out = np.asarray(Image.fromarray(image, mode="RGB").resize((size[1], size[0]), resample, box))
        elif image.ndim == 2:
            out = plane(image, size, box)
        else:
            out = np.stack([plane(image[:, :, c], size, box) for c in range(image.shape[2])], axis=2)
        return out.astype(image.dtype)  # a writable copy: Pillow's arrays are read-only

    return run


def _build(spec: ResizeSpec) -> ResizeFn:
    run = _runner(spec)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        return run(image, size, None)

    return fn


@functools.lru_cache(maxsize=1024)
def _box_axis(n_in: int, n_out: int, rows: int, support: float) -> tuple[int, int, float]:
    """(input pixels, output pixels, box extent) of the part along one axis (:func:`resize_region`)."""
    if rows >= n_out or n_in == n_out:  # an axis that is not resized is not cut either
        return n_in, n_out, float(n_in)
    ratio = Fraction(n_in, n_out)
    scale = n_in / n_out
    needed = reach(rows, scale, support * max(scale, 1.0))
    for out in range(rows, n_out):
        extent = ratio * out
        if extent.denominator & (extent.denominator - 1) == 0 and float(np.float32(float(extent))) == extent:
            part = max(needed, math.ceil(extent))
            return (part, out, float(extent)) if part < n_in else (n_in, n_out, float(n_in))
    return n_in, n_out, float(n_in)


@functools.lru_cache(maxsize=256)
def _pass_order(kernel: str, in_size: tuple[int, int], out_size: tuple[int, int]) -> str | None:
    """Which pass Pillow runs first when it resizes ``in_size`` to ``out_size`` along both axes:
    ``"width"`` or ``"height"`` (Pillow 13 runs the height first when the height shrinks by
    enough more pixels than the width, python-pillow/Pillow#9549), read from Pillow itself: a
    fixed pseudo-random 8-bit plane of that size resized at once, against the two orders done as
    two resizes; None when that plane cannot tell them apart."""
    from PIL import Image

    resample = Image.Resampling[_FILTERS[kernel][0]]
    (h, w), (oh, ow) = in_size, out_size
    probe = Image.fromarray(np.random.default_rng(12345).integers(0, 256, (h, w), dtype=np.uint8))
    whole = np.asarray(probe.resize((ow, oh), resample))
    width_first = np.asarray(probe.resize((ow, h), resample).resize((ow, oh), resample))
    height_first = np.asarray(probe.resize((w, oh), resample).resize((ow, oh), resample))
    if np.array_equal(whole, width_first) != np.array_equal(whole, height_first):
        return "width" if np.array_equal(whole, width_first) else "height"
    return None


def resize_region(
    spec: ResizeSpec, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float], region: tuple[int, int],
    in_size: tuple[int, int] | None = None,
) -> np.ndarray | None:
    """``fn(image, size, scale)[:region[0], :region[1]]`` bit for bit, from a top-left part
    (:mod:`sr_audit.backends.regions`).

    Pillow maps output pixel ``i`` of a box ``[0, b)`` resized to ``n`` pixels around
    ``(i + 0.5) * scale`` with ``scale = (double)(float)b / n`` and computes its coefficients from
    that centre alone, clamped at the image's edges (``precompute_coeffs`` in Resample.c; 8-bit
    coefficients in fixed point with a constant 22 bits, per pixel). The whole image's box is its
    size, so its scale is the double ``in / out``; a part of ``n`` output pixels with a box
    ``b = n * in / out`` gets the same double when ``b`` is a float32 (``n`` a multiple of the odd
    part of ``out / gcd(in, out)``; both are the correctly rounded ``in / out``). The part holds the
    box and every pixel the kept rows read. Nearest is one affine step (``(double)(float)b / n``
    too); the other filters run two 1-D passes, rounding (8-bit) or storing float32 (mode F) in
    between, in an order Pillow chooses from the sizes (:func:`_pass_order`), so the part runs the
    whole image's two passes as two resizes in the whole image's order. An axis that is not
    resized is not cut. None when the part would be the whole image, or the order is unknown.
    """
    whole = in_size or (int(image.shape[0]), int(image.shape[1]))
    if image.dtype not in (np.uint8, np.float32, np.float64):
        return None
    support = _SUPPORT[spec.kernel]
    (in_h, out_h, box_h), (in_w, out_w, box_w) = (
        _box_axis(int(n), int(o), int(r), support) for n, o, r in zip(whole, size, region)
    )
    if (in_h, in_w) == whole or in_h > image.shape[0] or in_w > image.shape[1]:
        return None
    run = _cached_runner(spec)
    part = np.ascontiguousarray(image[:in_h, :in_w])
    both = size[0] != whole[0] and size[1] != whole[1]
    if spec.kernel == "nearest" or not both:
        out = run(part, (out_h, out_w), (0.0, 0.0, box_w, box_h))
    else:
        order = _pass_order(spec.kernel, whole, (int(size[0]), int(size[1])))
        if order is None:
            return None
        if order == "width":
            mid = run(part, (in_h, out_w), (0.0, 0.0, box_w, float(in_h)))
            out = run(mid, (out_h, out_w), (0.0, 0.0, float(out_w), box_h))
        else:
            mid = run(part, (out_h, in_w), (0.0, 0.0, float(in_w), box_h))
            out = run(mid, (out_h, out_w), (0.0, 0.0, box_w, float(out_h)))
    return out[: region[0], : region[1]]


_cached_runner = functools.cache(_runner)


BACKEND = Backend(
    name="pil",
    library="Pillow",
    distribution="pillow",
    module="PIL",
    install_hint="pip install pillow",
    kernels={"bicubic": True, "bilinear": True, "lanczos3": True, "box": True, "hamming": True, "nearest": False},
    antialias_default=True,
    conventions_fn=_conventions,
    build_fn=_build,
)
