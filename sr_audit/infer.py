"""Whole-image SRCNN inference in bounded memory: :func:`infer`; any other module: :func:`infer_module`.

:func:`infer_module` runs an arbitrary ``nn.Module`` (TorchScript or built by a factory) on the
whole image in one call, without gradients, and holds its output to :data:`MODULE_CONTRACT`;
tiling is SRCNN-specific (it needs the halo of a known architecture). The rest of this note is
about :func:`infer`.

Images of any size are cut into tiles; each tile is run with a halo of ``R = f1//2 + f2//2 + f3//2``
pixels of real context on its inner sides, so the result equals the untiled forward pass of the
model, for all three padding policies of :class:`~sr_audit.model.SRCNNConfig`:

* A tile side that lies inside the image is computed as a 'valid' convolution: each layer consumes
  ``f//2`` pixels of the halo there, and after the three layers exactly the tile is left.
* A tile side whose crop reaches the image border is padded layer by layer, as the whole image is:
  ``same-replicate`` replicates that layer's own input at the border (MATLAB ``imfilter(...,
  'replicate')`` per layer, not a one-off padding of the image), ``same-zero`` pads zeros. When a
  tile lies within ``R`` pixels of the border its crop is extended to the border and treated so,
  because the border padding of the intermediate layers reaches that far.
* ``valid`` padding never pads: output pixel ``(y, x)`` comes from input pixels
  ``[y, y + 2R] x [x, x + 2R]`` and the output is ``2R`` pixels smaller per dimension.

Bit-exactness
-------------
Equal values also need each output value to be computed by the same arithmetic whatever the tile
size. On the CPU in float32 (the default) every convolution goes to oneDNN's direct convolution,
whose per-pixel summation order does not depend on the image size, and the tiled result is bit for
bit the untiled one (``tests/test_weights_infer.py`` checks odd image and tile sizes for the three
paddings). ``torch.nn.functional.conv2d`` itself would send small inputs with 1x1 kernels to another
algorithm that sums in another order, so it is not used there. In float64 (im2col + MKL ``dgemm``)
and on CUDA (cuDNN) the library picks its blocking by problem size, so tiles agree with the whole
image to rounding only (about 1e-16 in float64): the halo and padding logic is the same and exact,
the last bit is the library's.

Precision
---------
float32 by default; ``dtype=torch.float64`` runs in double (weights are cast per call, so a float64
model keeps its exact values for float64 runs). The published SRCNN figures are reproduced in
float32 (``tests/test_conformance.py``, which also records the float32/float64 difference).

Memory
------
With ``tile=0`` (the default) the whole image is one tile when its buffers fit in
``max_tile_bytes``, else square tiles are sized to fit (:func:`auto_tile`). On the CPU in float32
the budget is at most :data:`CPU_TILE_BYTES`: tiles whose activations stay near the processor's
caches run 2-3 times faster than one whole-image tile (the activations of a Set14 image are about
60 MB per layer, so each layer streams them through main memory), and give the same bits (see
above; ``benchmarks/infer_speed.py``). Other paths keep whole images, where a large tile is what
the device wants (CUDA) or where tiles would change the last bit (float64). The estimate per pixel of
a tile with its halo is the activations of the two hidden layers plus their padded copies, and on
paths that unfold the input (float64 CPU, CUDA) the unfolded input of the widest layer. Peak memory
is then about the budget plus the float64 input and output arrays.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from sr_audit.device import resolve_device
from sr_audit.errors import ImageError, SpecError
from sr_audit.model import SRCNN

#: Default memory budget of one tile's buffers, in bytes.
DEFAULT_TILE_BYTES = 512 * 2**20

#: Largest tile budget, in bytes, of the automatic tiles on the CPU in float32 (see the module
#: notes): 135-pixel tiles for a 9-1-5 model.
CPU_TILE_BYTES = 16 * 2**20

#: Smallest automatic tile side, in output pixels.
MIN_TILE = 32


def halo(model: SRCNN) -> int:
    """Pixels of context one output pixel needs on each side: ``f1//2 + f2//2 + f3//2``."""
    c = model.config
    return c.f1 // 2 + c.f2 // 2 + c.f3 // 2


def _uses_onednn(device: torch.device, dtype: torch.dtype) -> bool:
    return device.type == "cpu" and dtype == torch.float32 and torch.backends.mkldnn.is_available()


def bytes_per_pixel(model: SRCNN, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu") -> int:
    """Estimated bytes per pixel of a tile (with its halo) while :func:`infer` runs it."""
    c = model.config
    dev = torch.device(device)
    values = 2 * (c.channels + c.n1 + c.n2)
    if not _uses_onednn(dev, dtype):
        values += max(c.channels * c.f1**2, c.n1 * c.f2**2, c.n2 * c.f3**2)
    return values * torch.empty((), dtype=dtype).element_size()


def auto_tile(
    model: SRCNN,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> int:
    """Largest square tile side (output pixels, at least :data:`MIN_TILE`) that fits ``max_tile_bytes``."""
    side = math.isqrt(max_tile_bytes // bytes_per_pixel(model, dtype, device)) - 2 * halo(model)
    return max(MIN_TILE, side)


def _conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """'valid' correlation; oneDNN for float32 on the CPU (see the module notes on bit-exactness)."""
    if _uses_onednn(x.device, x.dtype):
        return torch.mkldnn_convolution(x, weight, bias, (0, 0), (1, 1), (1, 1), 1)
    return F.conv2d(x, weight, bias)


def _run_crop(
    x: torch.Tensor,
    layers: list[tuple[torch.Tensor, torch.Tensor, int, bool]],
    padding: str,
    border: tuple[bool, bool, bool, bool],
) -> torch.Tensor:
    """The three layers on a crop; sides flagged in ``border`` (left, right, top, bottom) are padded per layer."""
    mode = "replicate" if padding == "same-replicate" else "constant"
    for weight, bias, p, relu in layers:
        pads = tuple(p if (b and padding != "valid") else 0 for b in border)
        if any(pads):
            x = F.pad(x, pads, mode=mode)
        x = _conv(x, weight, bias)
        if relu:
            x = F.relu(x)
    return x


def _spans(n_out: int, tile: int) -> list[tuple[int, int]]:
    return [(start, min(start + tile, n_out)) for start in range(0, n_out, tile)]


def infer(
    model: SRCNN,
    image: np.ndarray,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
    tile: int | None = 0,
    max_tile_bytes: int = DEFAULT_TILE_BYTES,
) -> np.ndarray:
    """Run ``model`` on a whole image, tile by tile.

    Parameters
    ----------
    model : SRCNN
        Any padding policy; not modified (its weights are cast to ``dtype`` per call).
    image : ndarray, float, shape (H, W) for a 1-channel model or (H, W, 3) for an RGB model
        The network input (the degraded image), nominally in [0, 1].
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (:func:`sr_audit.device.resolve_device`).
    dtype : torch.dtype
        ``torch.float32`` (default) or ``torch.float64``.
    tile : int or None
        Tile side in output pixels; ``0`` sizes tiles from ``max_tile_bytes`` (at most
        :data:`CPU_TILE_BYTES` on the CPU in float32; one tile when the image fits); ``None`` runs
        the whole image as one tile whatever its size.
    max_tile_bytes : int
        Memory budget of one tile when ``tile`` is 0.

    Returns
    -------
    ndarray, float64
        Same layout as ``image``; ``(H, W)`` for ``same-*`` padding, ``2R`` smaller per dimension
        for ``valid`` (see :func:`halo`). Values are those computed in ``dtype``.

    Raises
    ------
    ImageError
        Wrong shape for the model's channels, non-float or non-finite input, or (``valid``
        padding) an image smaller than the receptive field.
    SpecError
        Bad ``dtype`` or ``tile``, or an unavailable device.
    """
    config = model.config
    if dtype not in (torch.float32, torch.float64):
        raise SpecError(f"inference dtype must be torch.float32 or torch.float64, got {dtype}")
    if tile is not None and (isinstance(tile, bool) or not isinstance(tile, int) or tile < 0):
        raise SpecError(f"tile must be None (whole image), 0 (automatic) or a positive integer, got {tile!r}")
    if not isinstance(image, np.ndarray) or image.dtype.kind != "f":
        raise ImageError(f"infer: expected a float array in [0, 1], got {getattr(image, 'dtype', type(image).__name__)}")
    expected = "(H, W)" if config.channels == 1 else "(H, W, 3)"
    if (config.channels == 1 and image.ndim != 2) or (config.channels == 3 and (image.ndim != 3 or image.shape[2] != 3)):
        raise ImageError(f"infer: a {config.channels}-channel model needs an {expected} image, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise ImageError("infer: the image contains NaN or infinite values")
    h, w = image.shape[:2]
    r = halo(model)
    if config.padding == "valid" and min(h, w) < config.receptive_field:
        raise ImageError(
            f"infer: a {h}x{w} image is smaller than the receptive field of {config.receptive_field} px of SRCNN "
            f"{config.name} with valid padding; use a larger image or a same-* padding"
        )
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    off = r if config.padding == "valid" else 0  # input coordinate of output pixel 0
    ho, wo = h - 2 * off, w - 2 * off
    if tile == 0:
        budget = min(max_tile_bytes, CPU_TILE_BYTES) if _uses_onednn(dev, dtype) else max_tile_bytes
        fits = (h + 2 * r) * (w + 2 * r) * bytes_per_pixel(model, dtype, dev) <= budget
        side = max(ho, wo) if fits else auto_tile(model, dtype, dev, budget)
    else:
        side = max(ho, wo) if tile is None else tile
    convs = (model.conv1, model.conv2, model.conv3)
    layers = [
        (c.weight.detach().to(dev, dtype), c.bias.detach().to(dev, dtype), c.kernel_size[0] // 2, i < 2)
        for i, c in enumerate(convs)
    ]
    planes = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    out = np.empty((config.channels, ho, wo), dtype=np.float64)
    with torch.inference_mode():
        for oy0, oy1 in _spans(ho, side):
            for ox0, ox1 in _spans(wo, side):
                y0, y1 = max(0, oy0 + off - r), min(h, oy1 + off + r)
                x0, x1 = max(0, ox0 + off - r), min(w, ox1 + off + r)
                border = (x0 == 0, x1 == w, y0 == 0, y1 == h)
                crop = torch.from_numpy(np.ascontiguousarray(planes[:, y0:y1, x0:x1])).to(dev, dtype)[None]
                result = _run_crop(crop, layers, config.padding, border)[0]
                # output coordinates of result[:, 0, 0]: a padded side keeps its extent, others lose r
                sy = (y0 if border[2] and config.padding != "valid" else y0 + r) - off
                sx = (x0 if border[0] and config.padding != "valid" else x0 + r) - off
                block = result[:, oy0 - sy : oy1 - sy, ox0 - sx : ox1 - sx]
                out[:, oy0:oy1, ox0:ox1] = block.to("cpu", torch.float64).numpy()
    return out[0] if image.ndim == 2 else out.transpose(1, 2, 0)


#: What any model given to :func:`infer_module` must do (printed by ``--help`` and in errors).
MODULE_CONTRACT = (
    "the module maps a float32 N x C x H x W tensor in [0, 1] (C = 1 with --space y, 3 with --space rgb) to the "
    "SR image, N x C x H' x W': the same size for --input upsampled, H x scale by W x scale for --input lr"
)


def infer_module(
    module: torch.nn.Module,
    image: np.ndarray,
    out_size: tuple[int, int],
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> np.ndarray:
    """Run any ``nn.Module`` (or TorchScript module) on a whole image, without gradients.

    Parameters
    ----------
    module : torch.nn.Module
        Moved to ``device`` and ``dtype`` and put in eval mode (see :data:`MODULE_CONTRACT`).
    image : ndarray, float, (H, W) or (H, W, 3)
        The network input in [0, 1] nominally; given to the module as ``1 x C x H x W``.
    out_size : (int, int)
        The ``(H', W')`` the output must have.
    device : str or torch.device
    dtype : torch.dtype
        ``torch.float32`` (default) or ``torch.float64``.

    Returns
    -------
    ndarray, float64
        ``(H', W')`` or ``(H', W', 3)``, the layout of ``image``.

    Raises
    ------
    ImageError
        Non-float or non-finite input; an output that is not a tensor of the expected shape.
    SpecError
        A model that fails on the input (its message's first line), bad ``dtype``, unavailable device.
    """
    if dtype not in (torch.float32, torch.float64):
        raise SpecError(f"inference dtype must be torch.float32 or torch.float64, got {dtype}")
    if not isinstance(image, np.ndarray) or image.dtype.kind != "f" or image.ndim not in (2, 3):
        raise ImageError(f"infer_module: expected an (H, W) or (H, W, 3) float array, got {getattr(image, 'shape', image)!r}")
    if not np.isfinite(image).all():
        raise ImageError("infer_module: the image contains NaN or infinite values")
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    planes = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    x = torch.from_numpy(np.ascontiguousarray(planes)).to(dev, dtype)[None]
    expected = (1, x.shape[1], *out_size)
    module = module.to(dev, dtype).eval()
    with torch.no_grad():
        try:
            y = module(x)
        except Exception as exc:  # whatever the user's module raises
            message = (str(exc).strip().splitlines() or [""])[0]
            raise SpecError(f"the model failed on a {tuple(x.shape)} input ({type(exc).__name__}: {message}); "
                            f"contract: {MODULE_CONTRACT}") from None
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != expected:
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ImageError(f"the model returned {got} for a {tuple(x.shape)} input; expected {expected} "
                         f"(contract: {MODULE_CONTRACT})")
    out = y[0].to("cpu", torch.float64).numpy()
    return out[0] if image.ndim == 2 else out.transpose(1, 2, 0)
