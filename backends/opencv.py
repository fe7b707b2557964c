"""OpenCV (``cv2.resize``).

Conventions, measured on opencv-python-headless 5.0 with impulse responses (see
``tests/test_backends.py``) and checked against ``modules/imgproc/src/resize.cpp``:

* Pixel centres at half-integers for bilinear, bicubic and lanczos4; ``INTER_NEAREST`` takes
  input pixel ``floor(x / s)`` (top-left corners aligned, the ``asymmetric`` mapping).
* Out-of-image taps read the edge pixel (``replicate``), not the ``BORDER_REFLECT_101`` of
  OpenCV's filters; an area footprint that reaches past the edge averages the pixels inside.
* No antialiasing switch: bilinear, bicubic (Keys, a = -0.75) and lanczos4 (8 taps, weights
  normalised to sum 1) keep their support when shrinking. ``INTER_AREA`` is OpenCV's own
  thing: when neither axis enlarges it averages each output pixel's footprint (exact area
  overlap, a box low-pass of width 1/scale); when an axis enlarges it switches to a 2-tap
  area-coverage interpolation on both axes (pixel replication with blended seams), so a shrinking
  axis next to an enlarging one is then not averaged.
* Positions and weights are float32; the float paths accumulate in float32 (float64 input in
  float64, but with float32 weights, hence ``float_precision = "float32"``).
* Given a scale, ``fx``/``fy`` are passed so that OpenCV maps with ``1/fx`` itself (e.g. 1/3 on
  13 pixels maps with 3, not 13/4), whenever OpenCV's own size for that scale,
  ``cvRound(in * fx)`` (ties to even, as sr-audit's ``round`` size rule), equals the requested
  size; an explicit size is passed as a size.
* uint16 is resized natively (float32 arithmetic, rounded to nearest with ties to even).
"""
from __future__ import annotations


import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.io_util import installed_version

_FIXED_POINT = (
    "fixed point: 11-bit weights (INTER_RESIZE_COEF_BITS), integer sums, one rounding half up at the "
    "end (22-bit shift), saturated to 0..255 (measured: up to ~1% of pixels differ by 1 from this "
    "model)"
)
_FIXED_POINT_LINEAR = (
    "fixed point: 11-bit weights (INTER_RESIZE_COEF_BITS); the horizontal pass sums in 32-bit "
    "integers; the vectorised vertical pass drops the 4 low bits of each sum, keeps the high 16 bits "
    "of each product with the 11-bit weight and rounds the last 2 bits half up (22 bits in all), so "
    "some pixels (one in ten on smooth test images) come out 1 below exact fixed-point rounding; "
    "saturated to 0..255"
)

#: our kernel -> (cv2 flag name, cubic a, pixel centre, 8-bit path, 8-bit rounding)
_KERNELS: dict[str, tuple[str, float | None, str, str, str]] = {
    "bicubic": (
        "INTER_CUBIC", -0.75, "half-pixel",
        "computed in float32 as the float path, then rounded to nearest with ties to even (cvRound) "
        "and saturated: measured identical to rounding the float32 result",
        "half-to-even",
    ),
    "bilinear": ("INTER_LINEAR", None, "half-pixel", _FIXED_POINT_LINEAR, "half-up"),
    "lanczos4": ("INTER_LANCZOS4", None, "half-pixel", _FIXED_POINT, "half-up"),
    "area": (
        "INTER_AREA", None, "half-pixel",
        "shrinking: float32 area weights, rounded to nearest with ties to even (cvRound) and "
        "saturated, except integer factors of exactly 2 on both axes, averaged in integers with "
        "ties rounded up; enlarging: the same 11-bit fixed-point path as bilinear, rounded half up "
        "after its vertical pass drops low bits",
        "half-to-even",
    ),
    "nearest": (
        "INTER_NEAREST", None, "asymmetric",
        "pixels are copied (no arithmetic, so no rounding happens)",
        "half-to-even",
    ),
}


def _distribution() -> str:
    """The installed OpenCV wheel (four flavours ship the same ``cv2``), for version reports."""
    names = ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless", "opencv-contrib-python")
    return next((name for name in names if installed_version(name) is not None), names[0])


def _conventions(spec: ResizeSpec) -> Conventions:
    _, cubic_a, centre, uint8_path, rounding = _KERNELS[spec.kernel]
    notes = (
        "output size from a scale: cvRound(in * scale), ties to even; sr-audit sizes round ties up "
        "and then pass the size, so the mapping uses out/in on ties. uint16: float32 arithmetic, "
        "rounded to nearest (ties to even). 1-channel HxWx1 input keeps its trailing axis."
    )
    if spec.kernel == "area":
        notes += (
            " area: box average over each output pixel's footprint when no axis enlarges (the "
            "average itself is the low-pass, there is no antialias switch); when an axis enlarges, "
            "both axes use a 2-tap area-coverage interpolation. A footprint reaching past the image "
            "edge (possible with a given scale, e.g. 1/3 on 17 pixels) averages only the pixels "
            "inside it (border renormalise)."
        )
    elif spec.kernel == "lanczos4":
        notes += " lanczos4: 8 taps, weights normalised to sum 1, support not widened when shrinking."
    return Conventions(
        kernel=spec.kernel,
        cubic_a=cubic_a,
        antialias=False,
        pixel_centre=centre,
        border="renormalise" if spec.kernel == "area" else "replicate",
        size_rule="round",
        scale_source="given",
        pass_order="width then height (horizontal pass into a row buffer, then vertical)",
        uint8_path=uint8_path,
        float_precision="float32",
        rounding=rounding,
        dtypes=("uint8", "uint16", "float32", "float64"),
        notes=notes,
    )


def _build(spec: ResizeSpec) -> ResizeFn:
    import cv2

    flag = getattr(cv2, _KERNELS[spec.kernel][0])

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        h, w = image.shape[:2]
        # OpenCV's own size for fx/fy is cvRound(in * f) in double precision; Python's round()
        # also rounds ties to even, on the same double product.
        native = (round(h * scale[0]), round(w * scale[1]))
        from_sizes = scale[0] == size[0] / h and scale[1] == size[1] / w
        if native == tuple(size) and not from_sizes:
            out = cv2.resize(image, None, fx=scale[1], fy=scale[0], interpolation=flag)
        else:
            out = cv2.resize(image, (size[1], size[0]), interpolation=flag)
        # cv2 drops a trailing channel axis of length 1
        return out.reshape(tuple(size) + image.shape[2:])

    return fn


BACKEND = Backend(
    name="cv2",
    library="OpenCV",
    distribution=_distribution(),
    module="cv2",
    install_hint="pip install opencv-python-headless",
    kernels={k: False for k in _KERNELS},
    antialias_default=False,
    conventions_fn=_conventions,
    build_fn=_build,
)
