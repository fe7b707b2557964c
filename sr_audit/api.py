"""The operations users script, as plain functions: ``import sr_audit`` gives each of them.

========================  ===================================================================
function                  what it does
========================  ===================================================================
:func:`resize`            resize an array with one backend spec (``pil``, ``matlab``, ...)
:func:`score`             PSNR/SSIM of SR outputs against HR under a protocol preset
:func:`identify`          which registered resize made an LR data set from its HR images
:func:`evaluate`          a model (or the bicubic baseline) on a data set under a degradation
:func:`backends`          every registered backend: available or why not, and its default spec
========================  ===================================================================

None of them prints or exits: results are typed objects, problems are the package's own
exceptions (:class:`~sr_audit.errors.SrAuditError` and its subclasses), and what a user should
know about a result (an HR modcropped to the SR size, images that are identical, a padding
assumed) is a Python warning (:class:`~sr_audit.errors.SrAuditWarning`). The ``sr-audit`` commands ``resize``, ``score``, ``identify``,
``eval`` and ``backends`` are thin layers over exactly these functions.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sr_audit.errors import SpecError, SrAuditWarning
from sr_audit.resize import resize

if TYPE_CHECKING:
    from torch import nn

    from sr_audit.audit.identify import Identification
    from sr_audit.audit.score import ScoreResult
    from sr_audit.backends.selection import BackendStatus
    from sr_audit.evaluation import Evaluation
    from sr_audit.metrics import Scores
    from sr_audit.protocol import Protocol

#: The names ``import sr_audit`` gives.
API: tuple[str, ...] = ("resize", "score", "identify", "evaluate", "backends")


def score(
    sr: np.ndarray | str | os.PathLike[str],
    hr: np.ndarray | str | os.PathLike[str],
    *,
    scale: int | None = None,
    protocol: str | Protocol | Sequence[str | Protocol] = "matlab",
    pattern: str | None = None,
) -> Scores | ScoreResult:
    """PSNR and SSIM of super-resolved output against its ground truth under a protocol preset.

    Parameters
    ----------
    sr, hr : ndarray or path
        Two 8-bit images (uint8 arrays, ``(H, W)`` or ``(H, W, 3)``), or two folders whose files
        :func:`sr_audit.layouts.pair_files` pairs by name. An HR that is full size while the SR
        has the size of its modcrop to ``scale`` is modcropped (with a warning).
    scale : int, optional
        Super-resolution factor (it sets the border shave). Required for arrays; for folders the
        default is the scale their names say (``x4``, ``LRbicx4``).
    protocol : str, Protocol or sequence
        A preset of :data:`sr_audit.protocol.PROTOCOLS` (``{'matlab', 'basicsr', 'pyiqa',
        'torchmetrics', 'ntire'}``) or a :class:`~sr_audit.protocol.Protocol`; for folders also
        ``"all"`` or several.
    pattern : str, optional
        Folders only: stem pattern of the SR files, e.g. ``'{name}_SR_x{scale}'``.

    Returns
    -------
    Scores or ScoreResult
        Arrays: the :class:`~sr_audit.metrics.Scores` under the one protocol (fields of spaces it
        does not score are None; identical images give ``inf``). Folders: the
        :class:`~sr_audit.audit.score.ScoreResult` (per image and mean, every protocol).

    Raises
    ------
    ImageError
        Not 8-bit, sizes no modcrop reconciles, an RGB HR against a grayscale SR.
    SpecError
        Unknown protocol, bad scale, several protocols for arrays.
    DataError
        Folders that do not pair, or no scale known.

    Examples
    --------
    >>> import numpy as np, sr_audit
    >>> hr = np.tile(np.arange(48, dtype=np.uint8), (48, 1))
    >>> sr = hr.copy(); sr[10, 10] += 16
    >>> round(sr_audit.score(sr, hr, scale=4).psnr_y, 2)  # one pixel off by 16 in 40x40 after the shave
    56.09
    """
    from sr_audit.audit.score import check_pair, parse_protocols, score_folders
    from sr_audit.metrics import score_image
    from sr_audit.sizes import parse_factor

    if not isinstance(sr, np.ndarray) and not isinstance(hr, np.ndarray):
        return score_folders(sr, hr, scale=None if scale is None else parse_factor(scale), protocols=protocol,
                             pattern=pattern)
    if not (isinstance(sr, np.ndarray) and isinstance(hr, np.ndarray)):
        raise SpecError("score takes two images (arrays) or two folders, not one of each")
    if scale is None:
        raise SpecError("score of two images needs scale=S (the border shave depends on it)")
    if pattern is not None:
        raise SpecError("pattern pairs files of folders; two images need none")
    chosen = parse_protocols(protocol if isinstance(protocol, (str, Sequence)) else [protocol])
    if len(chosen) != 1:
        raise SpecError(f"two images are scored under one protocol at a time, got {', '.join(p.name for p in chosen)}")
    factor = parse_factor(scale)
    sr, hr, notes, said = check_pair("image", sr, hr, factor)
    for line in (*notes, *said):
        warnings.warn(line, SrAuditWarning, stacklevel=2)
    return score_image(hr, sr / 255.0, chosen[0], factor)


def identify(
    hr_dir: str | os.PathLike[str],
    lr_dir: str | os.PathLike[str],
    *,
    scale: float | None = None,
    pattern: str | None = None,
    specs: Sequence[str] | None = None,
    progress: bool = False,
) -> Identification:
    """Which registered resize (backend, kernel, compute path, channel rule, geometry) made an LR set.

    Parameters
    ----------
    hr_dir, lr_dir : path
        Folders (or layout roots: BasicSR's ``GTmod12``/``LRbicxK``, DIV2K's ``LR_bicubic/XK``) of
        the HR and LR images, paired by name (:func:`sr_audit.layouts.pair_files`); may be one
        SelfExSR folder holding both.
    scale : float, optional
        Downscaling factor; inferred from the sizes or names when left out.
    pattern : str, optional
        Stem pattern of the LR files, e.g. ``'{name}_LR_x{scale}'``.
    specs : sequence of str, optional
        Resize specs to try (default: every installed backend x kernel x antialias switch).
    progress : bool
        Show a progress bar (default off: a library call prints nothing).

    Returns
    -------
    Identification
        Per-pair scores, the verdict (a match only on exact pixels), the methods it cannot tell
        apart, the pairing.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, sr_audit
    >>> from sr_audit.image_io import write_image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> hr = (np.add.outer(np.arange(48), np.arange(48)) * 2 % 256).astype(np.uint8)
    >>> write_image(root / "a_HR.png", hr)
    >>> write_image(root / "a_LR.png", sr_audit.resize(hr, "pil", scale="1/2"))
    >>> result = sr_audit.identify(root, root, specs=["pil", "cv2"])
    >>> result.verdict.match, result.verdict.method.spec
    (True, 'pil:bicubic+aa')
    """
    from sr_audit.audit.identify import identify as run

    return run(hr_dir, lr_dir, scale=scale, pattern=pattern, specs=specs, progress=progress)


def evaluate(
    model: str | nn.Module | None,
    data: str | os.PathLike[str] | None = None,
    *,
    scale: int | str = 3,
    backend: str = "matlab-legacy",
    protocol: str | Protocol = "matlab",
    space: str | None = None,
    compute: str = "float",
    model_input: str = "upsampled",
    padding: str | None = None,
    data_root: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    precision: str = "float32",
    tile: int | None = 0,
) -> Evaluation:
    """Evaluate a model (or the bicubic baseline) on a data set degraded by a resize spec.

    Parameters
    ----------
    model : str, nn.Module or None
        ``"bicubic"`` or None (the identity on the degraded input), a model file (the authors'
        ``.mat``, an sr-audit ``.pt``, a TorchScript file, an SRCNN state_dict) or
        ``package.module:factory`` (:class:`sr_audit.model_source.ModelSource`), or a module
        mapping an N x C x H x W float tensor in [0, 1] to the SR image.
    data : str or path, optional
        A folder, an image file, a set name (``{'Set5', 'Set14', 'T91'}``, looked up under
        ``data_root``) or ``None`` for the embedded eval images.
    scale : int or str
        Super-resolution factor (``3``, ``"x3"`` or ``"1/3"``).
    backend : str
        Resize spec of the degradation, ``DOWN`` or ``DOWN>UP`` (default ``matlab-legacy``, the
        SRCNN paper's).
    protocol : str or Protocol
        Metric protocol preset.
    space : {'y', 'rgb'}, optional
        Network space (default: ``rgb`` for a 3-channel SRCNN, else ``y``).
    compute : {'float', 'uint8'}
        Float (MATLAB's double path) or each resize in 8 bits.
    model_input : {'upsampled', 'lr'}
        Whether the model takes the bicubic-upsampled image or the LR image.
    padding : {'valid', 'same-zero', 'same-replicate'}, optional
        Padding of an SRCNN state_dict (the file does not record it; default assumed with a warning).
    data_root : path, optional
    device : str
        ``cpu``, ``cuda``, ``cuda:N`` or ``auto``.
    precision : {'float32', 'float64'}
        Inference precision.
    tile : int or None
        SRCNN tile side in pixels; 0 sizes tiles to a memory budget, None runs whole images.

    Warns
    -----
    SrAuditWarning
        A padding assumed, a model whose recorded training scale is not ``scale``.

    Returns
    -------
    Evaluation
        Per-image and mean scores, with the degradation and protocol that produced them.

    Examples
    --------
    >>> import sr_audit
    >>> ev = sr_audit.evaluate("bicubic", "embedded-eval", scale=3, backend="pil")
    >>> [r.name for r in ev.images], ev.mean.psnr_y > 20
    (['chelsea', 'camera', 'coins'], True)
    """
    from torch import nn

    from sr_audit.datasets import load_dataset
    from sr_audit.degradation import Degradation
    from sr_audit.device import resolve_device
    from sr_audit.evaluation import Preparation
    from sr_audit.evaluation import evaluate as run
    from sr_audit.model_source import ModelSource, resolve_model
    from sr_audit.protocol import get_protocol
    from sr_audit.sizes import parse_factor

    factor = parse_factor(scale)
    said: tuple[str, ...] = ()
    if isinstance(model, nn.Module):
        module, name = model, f"{type(model).__name__} (a module passed in)"
        channels = getattr(getattr(model, "config", None), "channels", None)
    else:
        resolved = resolve_model(ModelSource("bicubic" if model is None else str(model), input=model_input,
                                             padding=padding))
        module, name = resolved.module, resolved.describe()
        channels = None if resolved.srcnn is None else resolved.srcnn.config.channels
        mismatch = resolved.scale_warning(factor)
        said = (*resolved.notes, *((mismatch,) if mismatch else ()))
    degradation = Degradation.parse(backend, scale=factor, space=space or ("rgb" if channels == 3 else "y"),
                                    compute=compute)
    dataset = load_dataset(data, data_root=data_root, scale=factor)
    for line in said:
        warnings.warn(line, SrAuditWarning, stacklevel=2)
    return run(module, dataset, Preparation(degradation, model_input=model_input), get_protocol(protocol),
               model_name=name, device=resolve_device(device), precision=precision, tile=tile)


def backends(*, check: bool = False) -> list[BackendStatus]:
    """Every registered backend (built-in and plugins), in registry order.

    Parameters
    ----------
    check : bool
        Also import each library, so one installed but broken is reported unavailable with its
        import error (slower: imports TensorFlow, torch, ...).

    Returns
    -------
    list of BackendStatus
        ``name``, ``default_spec`` (None when unavailable) and ``reason`` (None when available,
        else why not and how to fix it).

    Examples
    --------
    >>> import sr_audit
    >>> [b.name for b in sr_audit.backends()][:2]  # the registry package answers the call
    ['pil', 'cv2']
    """
    from sr_audit.backends.selection import backend_status

    return backend_status(check=check)


__all__ = ["API", "backends", "evaluate", "identify", "resize", "score"]
