"""TensorFlow (``tf.image.resize``, TF2 semantics).

Conventions, measured on tensorflow-cpu 2.21 with impulse responses (``tests/test_backends.py``)
and read from TF's ``resize_bicubic_op.cc``, ``scale_and_translate_op.cc`` and
``sampling_kernels.h``:

* Half-pixel centres for every method (TF2's ``tf.image.resize`` always passes
  ``half_pixel_centers=True``); nearest takes input pixel ``floor((x + 0.5) / s)``.
* ``antialias`` (TF's default False) only exists for bilinear, bicubic, lanczos3, gaussian and
  mitchellcubic; TF ignores it for ``area`` and ``nearest``. With ``antialias=True`` (and always for
  lanczos3, gaussian, mitchellcubic) TF runs ``ScaleAndTranslate``: the kernel is widened by 1/s
  when shrinking, and taps outside the image are dropped with the remaining weights
  renormalised (``renormalise``). Without it, bilinear is TF's ``ResizeBilinear`` (indices
  clamped: ``replicate``) and bicubic is ``ResizeBicubic``: Keys a = -0.5 with weights looked up in
  a 1024-step table (the fractional position is rounded to 1/1024, up to ~1e-3 of the value
  range off the exact kernel) and out-of-image taps dropped and renormalised.
* ``area`` averages the exact footprint of each output pixel (pixel-area overlap), shrinking or
  enlarging. ``gaussian``: exp(-t^2 / (2 * 0.5^2)) for |t| < 1.5. ``mitchellcubic``: B = C = 1/3.
* Everything except nearest is computed in float32 and returned as float32: float64 input is read
  in float64 but the weights and the result are float32. sr-audit casts float results back to
  the input dtype, and rounds the 8-bit path half to even (see ``uint8_path``).
* ``tf.image.resize`` only takes a size: the mapping uses out/in.

TensorFlow is imported on first build, with ``TF_CPP_MIN_LOG_LEVEL=2`` set beforehand unless the
environment already sets it. TensorFlow 2.21 still writes absl's start-up lines (``WARNING: All log
messages before absl::InitializeLog() ...``, ``I0000 ... oneDNN custom operations are on``) before
that setting is read, so they are filtered from file descriptor 2 while TensorFlow imports and runs
its first op (:data:`STARTUP_NOISE`); anything else it writes then is passed through. No Python
warning filters are installed.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import math
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from sr_audit.backends.base import Backend, ResizeFn
from sr_audit.backends.regions import mapped_axis, rational_axis, reach
from sr_audit.conventions import Conventions, ResizeSpec
from sr_audit.rounding import quantize

#: our kernel name -> (tf.image.ResizeMethod value, cubic a)
_METHODS: dict[str, tuple[str, float | None]] = {
    "bilinear": ("bilinear", None),
    "bicubic": ("bicubic", -0.5),
    "lanczos3": ("lanczos3", None),
    "area": ("area", None),
    "nearest": ("nearest", None),
    "gaussian": ("gaussian", None),
    "mitchellcubic": ("mitchellcubic", None),
}

#: kernels whose antialias flag TF ignores (fixed False); the others are switchable.
_NO_SWITCH = ("area", "nearest")


def _border(kernel: str, antialias: bool) -> str:
    if kernel == "bilinear" and not antialias:
        return "replicate"
    if kernel in ("area", "nearest"):
        # neither reads outside the image; indices are clamped
        return "replicate"
    return "renormalise"


def _op_note(kernel: str, antialias: bool) -> str:
    if kernel == "nearest":
        return "ResizeNearestNeighbor (half-pixel centres); dtype preserved, no arithmetic"
    if kernel == "area":
        return "ResizeArea: exact pixel-area average of each output footprint; TF has no antialias switch for it"
    if kernel == "bilinear" and not antialias:
        return "ResizeBilinear (half-pixel centres, clamped indices)"
    if kernel == "bicubic" and not antialias:
        return (
            "ResizeBicubic: Keys a = -0.5 weights from a 1024-step table (fraction rounded to 1/1024), "
            "out-of-image taps dropped and the rest renormalised"
        )
    kernel_text = {
        "bilinear": "triangle",
        "bicubic": "Keys a = -0.5",
        "lanczos3": "Lanczos a = 3",
        "gaussian": "Gaussian sigma 0.5, radius 1.5",
        "mitchellcubic": "Mitchell-Netravali B = C = 1/3",
    }[kernel]
    widen = "widened by 1/scale when shrinking" if antialias else "not widened"
    return f"ScaleAndTranslate with the {kernel_text} kernel, {widen}; out-of-image taps dropped and weights renormalised"


def _distribution() -> str:
    """The installed TensorFlow distribution (CPU-only wheel or the full one), for version reports."""
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        return name
    return "tensorflow"


def _conventions(spec: ResizeSpec) -> Conventions:
    aa = bool(spec.antialias)
    nearest = spec.kernel == "nearest"
    return Conventions(
        kernel=spec.kernel,
        cubic_a=_METHODS[spec.kernel][1],
        antialias=aa,
        pixel_centre="half-pixel",
        border=_border(spec.kernel, aa),
        size_rule="floor",
        scale_source="sizes",
        pass_order=(
            "no arithmetic (pixels copied)" if nearest
            else "both axes in float32 with no rounding in between"
        ),
        uint8_path=(
            "uint8 copied by TF (dtype preserved)" if nearest
            else "TF reads the uint8 values and computes in float32; sr-audit rounds the float32 result "
                 "half to even (numpy.rint, like tf.round) and saturates to 0..255"
        ),
        float_precision="float32",
        rounding="half-to-even",
        dtypes=("uint8", "float32", "float64"),
        notes=_op_note(spec.kernel, aa)
        + "; float64 input: float32 result cast back to float64; uint16 refused (TF resizes it in float32 only)",
    )


#: Lines TensorFlow's C++ runtime writes to file descriptor 2 while it starts, that
#: ``TF_CPP_MIN_LOG_LEVEL`` cannot silence (absl logs them before its log settings exist): absl's
#: notice about that, and INFO/WARNING records (``I0000 00:00:... port.cc:153] oneDNN ...``).
STARTUP_NOISE: tuple[re.Pattern[bytes], ...] = (
    re.compile(rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"),
    re.compile(rb"[IW]\d{4} [\d:.]+\s+\d+ [\w.\-/]+:\d+\] .*"),
)


@contextlib.contextmanager
def _startup_noise_filtered() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file meanwhile, then replay every line of it that is
    not :data:`STARTUP_NOISE` (errors and anything unexpected still reach the terminal)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [line for line in captured.read().splitlines(keepends=True)
                    if not any(p.fullmatch(line.rstrip(b"\r\n")) for p in STARTUP_NOISE)]
            if kept:
                os.write(2, b"".join(kept))


_IMPORT_LOCK = threading.Lock()


@functools.cache
def _import_tensorflow() -> ModuleType:
    """Import TensorFlow without its start-up log lines on the terminal (once per process: the
    filter redirects the standard error through a file, which each region resize would pay for).

    ``TF_CPP_MIN_LOG_LEVEL=2`` is set first unless the environment sets it; the lines TensorFlow
    still writes while it imports and runs its first op (:data:`STARTUP_NOISE`) are dropped, the
    rest of what it writes then is passed through.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _IMPORT_LOCK, _startup_noise_filtered():  # one thread at a time redirects the standard error
        import tensorflow as tf

        tf.zeros((1,)).numpy()  # the runtime logs its start on the first op
    return tf


def _finish(out: np.ndarray, image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    out = out.reshape(tuple(size) + image.shape[2:])
    if image.dtype == np.uint8 and out.dtype != np.uint8:
        return quantize(out, np.uint8, "half-to-even")
    return out.astype(image.dtype, copy=False)


def _build(spec: ResizeSpec) -> ResizeFn:
    tf = _import_tensorflow()
    method = _METHODS[spec.kernel][0]
    aa = bool(spec.antialias)

    def fn(image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
        planes = image if image.ndim == 3 else image[:, :, None]
        out = tf.image.resize(planes, tuple(size), method=method, antialias=aa).numpy()
        return _finish(out, image, size)

    return fn


#: ``ScaleAndTranslate`` kernel and radius (sampling_kernels.h) of the specs ``tf.image.resize``
#: runs through it: antialiased bilinear and bicubic, and lanczos3, gaussian and mitchellcubic
#: either way.
_SCALE_AND_TRANSLATE: dict[str, tuple[str, float]] = {
    "bilinear": ("triangle", 1.0),
    "bicubic": ("keyscubic", 2.0),
    "lanczos3": ("lanczos3", 3.0),
    "gaussian": ("gaussian", 1.5),
    "mitchellcubic": ("mitchellcubic", 2.0),
}

#: Input pixels beyond a pixel's mapped position that the size-only ops may read (ResizeBilinear:
#: one, ResizeBicubic: two, ResizeArea: its footprint, ResizeNearestNeighbor: none).
_SIZE_ONLY_REACH: dict[str, float] = {"bilinear": 1.0, "bicubic": 2.0, "area": 1.0, "nearest": 1.0}


def _through_scale_and_translate(spec: ResizeSpec) -> bool:
    return spec.kernel in _SCALE_AND_TRANSLATE and (bool(spec.antialias) or spec.kernel not in ("bilinear", "bicubic"))


def resize_region(
    spec: ResizeSpec, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float], region: tuple[int, int],
    in_size: tuple[int, int] | None = None,
) -> np.ndarray | None:
    """``fn(image, size, scale)[:region[0], :region[1]]`` bit for bit, from a top-left part
    (:mod:`sr_audit.backends.regions`).

    Specs that ``tf.image.resize`` runs through ``ScaleAndTranslate`` (:data:`_SCALE_AND_TRANSLATE`)
    get the whole image's float32 scale ``out / in`` (cast and divided by TensorFlow, as
    ``tf.image.resize`` does) and translation 0: ``ComputeSpansCore`` (scale_and_translate_op.cc)
    computes each output pixel's span and weights from ``(x + 0.5) * (1 / scale)`` alone, clamped
    at the image's edges, and the passes (rows, then columns) sum each pixel's span in order, the
    weights past its taps being zero; the part holds every pixel the kept rows read plus a span.
    The size-only ops (``ResizeBilinear``, ``ResizeBicubic``, ``ResizeArea``,
    ``ResizeNearestNeighbor``) compute their float32 scale from the sizes, so a part along an axis
    has sizes ``k p -> k q`` for the reduced ratio ``p / q`` (:func:`~sr_audit.backends.regions.rational_axis`),
    or is the whole axis. None when the part would be the whole image.
    """
    tf = _import_tensorflow()
    in_size = in_size or (int(image.shape[0]), int(image.shape[1]))
    if _through_scale_and_translate(spec):
        kernel, radius = _SCALE_AND_TRANSLATE[spec.kernel]
        axes = []
        for n, o, r in zip(in_size, size, region):
            widen = max(n / o, 1.0) if spec.antialias else 1.0
            span = 2 * math.ceil(radius * widen) + 1
            axes.append(mapped_axis(n, o, r, reach(r, n / o, radius * widen) + span))
        (in_h, out_h), (in_w, out_w) = axes
        if (in_h, in_w) == in_size or in_h > image.shape[0] or in_w > image.shape[1]:
            return None
        part = np.ascontiguousarray(image[:in_h, :in_w])
        planes = part if part.ndim == 3 else part[:, :, None]
        out = tf.raw_ops.ScaleAndTranslate(
            images=planes[None], size=np.array((out_h, out_w), np.int32), scale=_whole_scale(tuple(size), in_size),
            translation=np.zeros(2, np.float32), kernel_type=kernel, antialias=bool(spec.antialias),
        ).numpy()[0]
        return _finish(out, part, (out_h, out_w))[: region[0], : region[1]]
    axes = [rational_axis(n, o, r, reach(r, n / o, _SIZE_ONLY_REACH[spec.kernel])) for n, o, r in zip(in_size, size, region)]
    (in_h, out_h), (in_w, out_w) = axes
    if (in_h, in_w) == in_size or in_h > image.shape[0] or in_w > image.shape[1]:
        return None
    part = np.ascontiguousarray(image[:in_h, :in_w])
    return _fn_of(spec)(part, (out_h, out_w), (out_h / in_h, out_w / in_w))[: region[0], : region[1]]


@functools.lru_cache(maxsize=256)
def _whole_scale(size: tuple[int, int], in_size: tuple[int, int]) -> np.ndarray:
    """``tf.image.resize``'s scale for ``in_size -> size``: the sizes cast to float32 and divided by
    TensorFlow, as it does."""
    tf = _import_tensorflow()
    scale = (tf.cast(tf.constant(size, tf.int32), tf.float32) / tf.cast(tf.constant(in_size, tf.int32), tf.float32)).numpy()
    scale.setflags(write=False)
    return scale


@functools.cache
def _fn_of(spec: ResizeSpec) -> ResizeFn:
    """The resize callable of ``spec``, built once."""
    return _build(spec)


BACKEND = Backend(
    name="tf",
    library="TensorFlow",
    distribution=_distribution(),
    module="tensorflow",
    install_hint="pip install tensorflow-cpu",
    kernels={k: (False if k in _NO_SWITCH else None) for k in _METHODS},
    antialias_default=False,
    conventions_fn=_conventions,
    build_fn=_build,
)
