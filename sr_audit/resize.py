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
  ``Conventions.size_rule`` (:func:`sr_audit.sizes.plan_output`).
"""
from __future__ import annotations

import functools

import numpy as np

from sr_audit import backends
from sr_audit.backends.base import ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.errors import ImageError
from sr_audit.sizes import ScaleLike, plan_output


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
    out, scales = plan_output((int(image.shape[0]), int(image.shape[1])), scale=scale, size=size, rule=conv.size_rule)
    result = fn(np.ascontiguousarray(image), out, scales)
    expected = out + image.shape[2:]
    if result.shape != expected or result.dtype != image.dtype:
        raise AssertionError(
            f"backend {resolved} returned {result.shape} {result.dtype}, expected {expected} {image.dtype}"
        )
    return result
