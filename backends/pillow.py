"""Pillow (``PIL.Image.resize``).

Conventions (Pillow's ``libImaging/Resample.c``): separable passes, width first then height; the
kernel is always widened by 1/scale when shrinking (antialiasing cannot be switched off); pixel
centres at half-integers; taps that fall outside the image are dropped and the remaining weights
renormalised; cubic a = -0.5. 8-bit images use fixed-point coefficients with 22 fractional bits and
round half up, clipping to 0..255 after each pass. Float images go through mode ``'F'`` one channel
at a time: double accumulation, float32 storage after each pass. 16-bit images use mode ``'I;16'``.
"""
from __future__ import annotations

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
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
        pass_order="width then height",
        uint8_path="fixed point, 22 fractional bits, rounded half up and clipped after each pass",
        float_precision="float32",
        rounding="half-up",
        dtypes=("uint8", "uint16", "float32", "float64"),
        notes="float input is resized per channel in mode 'F'; uint16 in mode 'I;16' (grayscale or per channel)",
    )


def _build(spec: ResizeSpec) -> ResizeFn:
    from PIL import Image

    resample = Image.Resampling[_FILTERS[spec.kernel][0]]

    def plane(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        # one 2-D plane through the mode Pillow picks for its dtype: L, I;16 or F
        src = arr.astype(np.float32) if arr.dtype.kind == "f" else arr
        return np.asarray(Image.fromarray(src).resize((size[1], size[0]), resample))

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        if image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8:
            out = np.asarray(Image.fromarray(image, mode="RGB").resize((size[1], size[0]), resample))
        elif image.ndim == 2:
            out = plane(image, size)
        else:
            out = np.stack([plane(image[:, :, c], size) for c in range(image.shape[2])], axis=2)
        return out.astype(image.dtype)  # a writable copy: Pillow's arrays are read-only

    return fn


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
