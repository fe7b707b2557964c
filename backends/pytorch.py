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

import functools
import math
from collections.abc import Callable

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.backends.regions import mapped_axis, rational_axis, reach
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


def _runner(spec: ResizeSpec) -> Callable[..., np.ndarray]:
    """``run(image, size, scale_factor)``: ``F.interpolate`` of the HxW(xC) array to ``size``, given
    ``scale_factor`` (with ``recompute_scale_factor=False``) when it is not None, else the size."""
    import torch
    import torch.nn.functional as F

    kernel = spec.kernel
    aa = bool(spec.antialias)
    options: dict[str, object] = {"mode": kernel}
    if kernel in ("bilinear", "bicubic"):
        options.update(align_corners=False, antialias=aa)

    def run(
        image: np.ndarray, size: tuple[int, int], scale_factor: tuple[float, float] | None, numpy_copy: bool = False
    ) -> np.ndarray:
        planes = image if image.ndim == 3 else image[:, :, None]
        if not planes.flags.writeable:  # torch.from_numpy shares memory and warns on read-only arrays
            planes = planes.copy()
        # (1, C, H, W) view of the HxWxC array: channels-last strides. Float input is made
        # channels-first contiguous, the usual layout; uint8 stays channels-last, the layout torch's
        # uint8 kernels convert to anyway (same results; channels-first 3-channel uint8 trips an
        # internal assert in torch 2.13 for 1x1 outputs). ``numpy_copy``: numpy makes the
        # channels-first copy (the same tensor; torch's own copy runs on its intra-op threads,
        # which cost more than the copy on small images).
        x = torch.from_numpy(planes).permute(2, 0, 1)[None]
        to_uint8 = False
        if image.dtype == np.uint8 and kernel == "area":
            to_uint8 = True
            if numpy_copy:
                x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1), dtype=np.float64))[None]
            else:
                x = x.to(torch.float64).contiguous()
        elif image.dtype != np.uint8:
            x = torch.from_numpy(np.ascontiguousarray(planes.transpose(2, 0, 1)))[None] if numpy_copy else x.contiguous()
        with torch.no_grad():
            if scale_factor is not None:
                y = F.interpolate(x, scale_factor=scale_factor, recompute_scale_factor=False, **options)
            else:
                y = F.interpolate(x, size=tuple(size), **options)
        out = y[0].numpy().transpose(1, 2, 0)
        out = out.reshape(out.shape[:2] + image.shape[2:])
        if to_uint8:
            return quantize(out, np.uint8, "half-to-even")
        return np.ascontiguousarray(out)

    return run


def _by_scale(spec: ResizeSpec, in_size: tuple[int, int], size: tuple[int, int], scale: tuple[float, float]) -> bool:
    """Whether the resize callable passes ``scale`` to torch (else the size): a scale that is not
    out/in and gives torch's size."""
    (h, w) = in_size
    from_sizes = scale[0] == size[0] / h and scale[1] == size[1] / w
    torch_size = (math.floor(h * scale[0]), math.floor(w * scale[1]))
    return spec.kernel != "area" and not from_sizes and torch_size == tuple(size)


def _build(spec: ResizeSpec) -> ResizeFn:
    run = _runner(spec)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        by_scale = _by_scale(spec, (int(image.shape[0]), int(image.shape[1])), size, scale)
        return run(image, size, scale if by_scale else None)

    return fn


#: ``H + W`` of an output at or below which torch's nearest and (float) bilinear kernels switch to
#: their channels-last implementation (``_use_vectorized_kernel_cond_2d`` in UpSampleKernel.cpp).
_SMALL_OUTPUT = 128

#: Input pixels on either side of a pixel's mapped position that each kernel reads, before
#: antialiasing widens it by in/out (``interp_size / 2`` in UpSampleKernel.cpp; nearest: one).
_HALF_WIDTH: dict[str, float] = {"bicubic": 2.0, "bilinear": 1.0, "nearest": 1.0}


def _scale_factor_for(ratio: float, ratio32: np.float32) -> float | None:
    """A double ``sf`` with ``1.0 / sf == ratio`` (torch maps with ``1 / scale_factor``) whose
    float32 is ``ratio32`` too (kernels that compute in float), searched within a few ulps of
    ``1 / ratio``; None when no double has that reciprocal."""
    candidate = 1.0 / ratio
    near = [candidate]
    for direction in (math.inf, -math.inf):
        x = candidate
        for _ in range(4):
            x = math.nextafter(x, direction)
            near.append(x)
    for sf in near:
        if 1.0 / sf == ratio and np.float32(1.0 / sf) == ratio32:
            return sf
    return None


def resize_region(
    spec: ResizeSpec, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float], region: tuple[int, int],
    in_size: tuple[int, int] | None = None,
) -> np.ndarray | None:
    """``fn(image, size, scale)[:region[0], :region[1]]`` bit for bit, from a top-left part
    (:mod:`sr_audit.backends.regions`).

    Float input, bilinear, bicubic (antialiased or not) and nearest: torch maps output pixel ``i``
    around ``(i + 0.5) * s`` (nearest: ``floor(i * s)``) with ``s = 1 / scale_factor`` when a
    scale factor is given (``recompute_scale_factor=False``), else ``in / out``, and computes its
    weights from that position alone, clamped at the image's edges (``area_pixel_compute_scale``,
    UpSample.h; ``_compute_index_ranges_weights``, UpSampleKernel.cpp); so the part is given the
    whole image's scale factor, or one whose reciprocal is the whole image's ``in / out`` in
    double and float (:func:`_scale_factor_for`). The same holds for nearest on uint8, which copies
    pixels. Area (``adaptive_avg_pool2d``) averages input ``floor(i * in / out)`` to
    ``ceil((i + 1) * in / out) - 1`` in integer arithmetic, so a part has sizes ``k p -> k q`` for the
    reduced ratio ``p / q``. torch runs nearest and float bilinear through another kernel when the
    output's ``H + W`` is at most 128 (:data:`_SMALL_OUTPUT`), so a part is kept on the whole
    image's side of that line. **Not uint8 bilinear or bicubic**: torch's uint8 kernels round their
    weights to int16 with a precision chosen per call from the largest weight of all the axis's
    output pixels (``_compute_index_ranges_int16_weights``), which a part, seeing fewer pixels,
    can choose differently (measured: 300x451 -> 300x450 bicubic without antialiasing, 38 of the
    64x64 top-left pixels differ), so those return None. None also when the part would be the
    whole image.
    """
    in_size = in_size or (int(image.shape[0]), int(image.shape[1]))
    kernel = spec.kernel
    if kernel == "area":
        axes = [rational_axis(n, o, r, reach(r, n / o, 1.0)) for n, o, r in zip(in_size, size, region)]
        (in_h, out_h), (in_w, out_w) = axes
        if (in_h, in_w) == in_size or in_h > image.shape[0] or in_w > image.shape[1]:
            return None
        return _cached_runner(spec)(image[:in_h, :in_w], (out_h, out_w), None, numpy_copy=True)[: region[0], : region[1]]
    if kernel not in _HALF_WIDTH or (image.dtype == np.uint8 and kernel != "nearest"):
        return None
    by_scale = _by_scale(spec, in_size, size, scale)
    factors: list[float] = []
    parts: list[int] = []
    for axis, (n, o, r) in enumerate(zip(in_size, size, region)):
        if by_scale:
            sf: float | None = float(scale[axis])
        else:
            sf = _scale_factor_for(n / o, np.float32(n) / np.float32(o))
        if sf is None:
            return None
        ratio = 1.0 / sf
        widen = max(ratio, 1.0) if spec.antialias else 1.0
        part, _ = mapped_axis(n, o, r, reach(r, ratio, _HALF_WIDTH[kernel] * widen))
        factors.append(sf)
        parts.append(part)
    def sizes() -> tuple[int, int]:
        return (math.floor(parts[0] * factors[0]), math.floor(parts[1] * factors[1]))

    if kernel == "nearest" or (kernel == "bilinear" and not spec.antialias):
        # torch picks another kernel (channels-last, float scales) for outputs with H + W <= 128
        # (_use_vectorized_kernel_cond_2d): a part keeps the whole image's side of that line
        while sum(sizes()) <= _SMALL_OUTPUT < sum(size) and tuple(parts) != in_size:
            axis = 0 if parts[0] < in_size[0] else 1
            parts[axis] = min(in_size[axis], parts[axis] + 8)
    if tuple(parts) == in_size or parts[0] > image.shape[0] or parts[1] > image.shape[1]:
        return None
    got = sizes()
    if got[0] < region[0] or got[1] < region[1]:
        return None
    part_image = np.ascontiguousarray(image[: parts[0], : parts[1]])
    out = _cached_runner(spec)(part_image, got, (factors[0], factors[1]), numpy_copy=True)
    return out[: region[0], : region[1]]


_cached_runner = functools.cache(_runner)


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
