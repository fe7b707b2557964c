"""One entry point for every backend: :func:`resize`.

Array conventions
-----------------
* Shape ``(H, W)`` or ``(H, W, C)`` with C in {1, 3}, channels in RGB order; sizes are always
  ``(height, width)``.
* dtype policy: uint8 in -> the library's own 8-bit path, uint8 out (Pillow fixed point, OpenCV
  11-bit coefficients, MATLAB rounding after each pass; see ``Conventions.uint8_path``). Float in ->
  float out of the same dtype, no rounding, no clipping (``Conventions.float_precision`` says in
  which precision the library computes). uint16 only where ``Conventions.dtypes`` lists it.
* ``scale`` > 1 enlarges. It may be a number, a :class:`fractions.Fraction` or a string such as
  ``"1/3"``; a pair gives (scale_h, scale_w). The output size follows the backend's
  ``Conventions.size_rule``.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Union

import numpy as np

from sr_audit import backends
from sr_audit.backends.base import ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.errors import ImageError, SpecError

ScaleLike = Union[float, int, str, Fraction]


def parse_scale(value: ScaleLike) -> float:
    """A positive finite scale from a number or a string like ``"3"``, ``"0.5"`` or ``"1/3"``.

    >>> parse_scale("1/3") == 1 / 3
    True
    """
    shown = value.strip() if isinstance(value, str) else value
    try:
        scale = float(Fraction(value.strip())) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecError(f"scale {shown!r} is not a number or fraction such as 3, 0.5 or 1/3") from None
    if not math.isfinite(scale) or scale <= 0:
        raise SpecError(f"scale must be a positive finite number such as 3, 0.5 or 1/3, got {shown!r}")
    return scale


def output_size(in_size: tuple[int, int], scale: tuple[float, float], rule: str) -> tuple[int, int]:
    """Output (H, W) for ``scale`` under a ``Conventions.size_rule``."""
    if rule == "ceil":
        # MATLAB computes ceil(scale * in) in double precision; so do we.
        out = tuple(math.ceil(s * n) for s, n in zip(scale, in_size))
    elif rule == "round":
        out = tuple(round(s * n) for s, n in zip(scale, in_size))  # Python rounds ties to even
    elif rule == "floor":
        out = tuple(math.floor(s * n) for s, n in zip(scale, in_size))
    else:
        raise SpecError(f"unknown size rule {rule!r}")
    if min(out) < 1:
        raise SpecError(
            f"scale {scale} turns a {in_size[0]}x{in_size[1]} image into {out[0]}x{out[1]}: use a larger scale or image"
        )
    return out  # type: ignore[return-value]


def check_image(image: np.ndarray, dtypes: tuple[str, ...], who: str) -> None:
    """Raise :class:`ImageError` unless ``image`` is a finite HxW or HxWx{1,3} array of an allowed dtype."""
    if not isinstance(image, np.ndarray):
        raise ImageError(f"{who}: expected a numpy array, got {type(image).__name__}")
    if image.ndim not in (2, 3):
        raise ImageError(f"{who}: expected an HxW or HxWxC image, got an array of shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3):
        what = "RGBA" if image.shape[2] == 4 else f"{image.shape[2]}-channel"
        raise ImageError(f"{who}: {what} image of shape {image.shape}; convert it to RGB or grayscale first")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ImageError(f"{who}: empty image of shape {image.shape}")
    if image.dtype.name not in dtypes:
        raise ImageError(
            f"{who}: dtype {image.dtype.name} is not supported; supported: {', '.join(dtypes)}"
            + (" (16-bit input is not supported by this library: convert to float or pick another backend)"
               if image.dtype == np.uint16 else "")
        )
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        raise ImageError(f"{who}: the image contains NaN or infinite values")


@functools.lru_cache(maxsize=None)
def _resizer(spec: ResizeSpec) -> tuple[ResizeFn, Conventions]:
    backend = backends.get_backend(spec.backend)
    return backend.build(spec), backend.conventions(spec)


def conventions_of(spec: str | ResizeSpec) -> Conventions:
    """The :class:`Conventions` of a spec string or object."""
    resolved = backends.resolve(spec)
    return backends.get_backend(resolved.backend).conventions(resolved)


def resize(
    image: np.ndarray,
    spec: str | ResizeSpec,
    *,
    scale: ScaleLike | tuple[ScaleLike, ScaleLike] | None = None,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Resize ``image`` with the backend and kernel named by ``spec``.

    Parameters
    ----------
    image : ndarray, shape (H, W) or (H, W, C), C in {1, 3}
        uint8, float32 or float64 (uint16 where the backend supports it). Finite values.
    spec : str or ResizeSpec
        ``BACKEND[:KERNEL][+aa|-aa]``, e.g. ``"pil"``, ``"cv2:area"``, ``"torch:bicubic+aa"``.
    scale : number, str or pair, optional
        Scale factor (> 1 enlarges); exactly one of ``scale`` and ``size``.
    size : (int, int), optional
        Output (height, width).

    Returns
    -------
    ndarray
        Shape ``size + image.shape[2:]``, same dtype as ``image``.

    Raises
    ------
    SpecError
        Unknown backend or kernel, antialias switch the library lacks, bad scale or size.
    ImageError
        Bad array (shape, dtype, NaN, empty).
    BackendUnavailableError
        The backend's library is not installed.
    """
    resolved = backends.resolve(spec)
    fn, conv = _resizer(resolved)
    check_image(image, conv.dtypes, f"resize with {resolved}")
    in_size = (int(image.shape[0]), int(image.shape[1]))
    if (scale is None) == (size is None):
        raise SpecError("give exactly one of scale and size")
    if scale is not None:
        pair = scale if isinstance(scale, tuple) else (scale, scale)
        scales = (parse_scale(pair[0]), parse_scale(pair[1]))
        out = output_size(in_size, scales, conv.size_rule)
    else:
        if (
            not isinstance(size, (tuple, list))
            or len(size) != 2
            or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in size)
        ):
            raise SpecError(f"size must be a pair of positive integers (height, width), got {size!r}")
        out = (int(size[0]), int(size[1]))
        scales = (out[0] / in_size[0], out[1] / in_size[1])
    result = fn(np.ascontiguousarray(image), out, scales)
    expected = out + image.shape[2:]
    if result.shape != expected or result.dtype != image.dtype:
        raise AssertionError(
            f"backend {resolved} returned {result.shape} {result.dtype}, expected {expected} {image.dtype}"
        )
    return result
