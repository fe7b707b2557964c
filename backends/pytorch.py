"""PyTorch (``torch.nn.functional.interpolate``, CPU).

Conventions, measured on torch 2.13 (CPU) with impulse responses (``tests/test_backends.py``) and
read from ATen's ``UpSample.h`` / ``UpSampleKernel.cpp``:

* ``align_corners=False``: half-pixel centres for bilinear and bicubic. ``nearest`` is torch's
  legacy nearest, input pixel ``floor(x / s)`` (the ``asymmetric`` mapping).
* Without antialiasing (torch's default): bicubic is Keys with a = -0.75 and bilinear the tent,
  out-of-image taps clamped to the edge (``replicate``). With ``antialias=True`` torch switches
  to its separable Pillow-style kernels: the support is widened by 1/s when shrinking, taps
  outside the image are dropped and the weights renormalised (``renormalise``), and **bicubic uses
  a = -0.5**, not -0.75.
* ``area`` is ``adaptive_avg_pool2d``: output pixel i is the plain mean of input pixels
  ``floor(i * in / out)`` to ``ceil((i + 1) * in / out) - 1``, which equals the exact area average
  only for integer factors; it only sees sizes and has no antialias switch.
* A given scale is passed as ``scale_factor`` with ``recompute_scale_factor=False`` so that torch
  maps with 1/scale (e.g. 1/3 on 13 pixels maps with 3, not 13/4); torch's output size is then
  ``floor(in * scale)``, the ``floor`` rule. When the scale equals out/in, or torch's size for it
  would differ from the requested size, the size is passed instead.
* Float input is computed in its own precision (float32 in float32, float64 in float64).
"""
from __future__ import annotations

import math

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.rounding import quantize

_NATIVE_UINT8 = (
    "torch's own uint8 kernel: separable, width then height, int16 fixed-point weights (precision "
    "chosen per call, up to 22 bits), each pass rounded half up and clamped to 0..255"
)


def _conventions(spec: ResizeSpec) -> Conventions:
    aa = bool(spec.antialias)
    kernel = spec.kernel
    if kernel == "bicubic":
        cubic_a: float | None = -0.5 if aa else -0.75
    else:
        cubic_a = None
    if kernel in ("bilinear", "bicubic"):
        border = "renormalise" if aa else "replicate"
        centre = "half-pixel"
        uint8_path = _NATIVE_UINT8
        rounding = "half-up"
        pass_order = (
            "float: both axes in one pass; uint8: width then height, rounded after each pass"
            if not aa else "separable: width then height (uint8 rounded after each pass)"
        )
        notes = (
            ("antialias: Pillow-style separable kernel, support widened by 1/scale when shrinking, "
             "weights renormalised inside the image; bicubic a = -0.5 on this path")
            if aa else "no antialiasing: the kernel keeps its support when shrinking"
        )
    elif kernel == "nearest":
        border, centre, rounding = "replicate", "asymmetric", "half-to-even"
        uint8_path = "torch's own uint8 kernel: pixels are copied (no arithmetic, so no rounding happens)"
        pass_order = "no arithmetic (pixels copied)"
        notes = "torch 'nearest' (legacy): input pixel floor(x / s); 'nearest-exact' would use half-pixel centres"
    else:  # area
        border, centre, rounding = "replicate", "half-pixel", "half-to-even"
        uint8_path = (
            "torch has no uint8 adaptive_avg_pool2d: sr-audit averages in float64 and rounds half to "
            "even (torch.round semantics), saturating to 0..255"
        )
        pass_order = "one 2-D pooling pass"
        notes = (
            "adaptive_avg_pool2d: plain mean over input indices floor(i*in/out) .. ceil((i+1)*in/out)-1 "
            "(exact area average only for integer factors); reads no pixel outside the image; "
            "maps from sizes only"
        )
    return Conventions(
        kernel=kernel,
        cubic_a=cubic_a,
        antialias=aa,
        pixel_centre=centre,
        border=border,
        size_rule="floor",
        scale_source="sizes" if kernel == "area" else "given",
        pass_order=pass_order,
        uint8_path=uint8_path,
        float_precision="float64",
        rounding=rounding,
        dtypes=("uint8", "float32", "float64"),
        notes=notes + "; float32 input is computed in float32",
    )


def _build(spec: ResizeSpec) -> ResizeFn:
    import torch
    import torch.nn.functional as F

    kernel = spec.kernel
    aa = bool(spec.antialias)
    options: dict[str, object] = {"mode": kernel}
    if kernel in ("bilinear", "bicubic"):
        options.update(align_corners=False, antialias=aa)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        h, w = image.shape[:2]
        planes = image if image.ndim == 3 else image[:, :, None]
        if not planes.flags.writeable:  # torch.from_numpy shares memory and warns on read-only arrays
            planes = planes.copy()
        # (1, C, H, W) view of the HxWxC array: channels-last strides. Float input is made
        # channels-first contiguous, the usual layout; uint8 stays channels-last, the layout torch's
        # uint8 kernels convert to anyway (same results; channels-first 3-channel uint8 trips an
        # internal assert in torch 2.13 for 1x1 outputs).
        x = torch.from_numpy(planes).permute(2, 0, 1)[None]
        to_uint8 = False
        if image.dtype == np.uint8 and kernel == "area":
            x, to_uint8 = x.to(torch.float64).contiguous(), True
        elif image.dtype != np.uint8:
            x = x.contiguous()
        from_sizes = scale[0] == size[0] / h and scale[1] == size[1] / w
        torch_size = (math.floor(h * scale[0]), math.floor(w * scale[1]))
        with torch.no_grad():
            if kernel != "area" and not from_sizes and torch_size == tuple(size):
                y = F.interpolate(x, scale_factor=scale, recompute_scale_factor=False, **options)
            else:
                y = F.interpolate(x, size=tuple(size), **options)
        out = y[0].numpy().transpose(1, 2, 0).reshape(tuple(size) + image.shape[2:])
        if to_uint8:
            return quantize(out, np.uint8, "half-to-even")
        return np.ascontiguousarray(out)

    return fn


BACKEND = Backend(
    name="torch",
    library="PyTorch",
    distribution="torch",
    module="torch",
    install_hint="pip install torch",
    kernels={"bicubic": None, "bilinear": None, "area": False, "nearest": False},
    antialias_default=False,
    conventions_fn=_conventions,
    build_fn=_build,
)
