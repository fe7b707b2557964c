"""SRCNN weights in and out: the authors' MATLAB ``.mat`` files and sr-audit's own checkpoints.

The authors' ``.mat`` layout (Dong et al.; ``../shared/datasets/README.md``), for a Y model with
``n1`` and ``n2`` feature maps and filter sizes ``f1``, ``f2``, ``f3``:

==================  ======================  =====================================================
key                 shape                   meaning
==================  ======================  =====================================================
``weights_conv1``   ``(f1*f1, n1)``         column ``o`` = filter ``o``, MATLAB ``reshape(w, f1, f1)``
``biases_conv1``    ``(n1, 1)``
``weights_conv2``   ``(n1, f2*f2, n2)``     ``[i, :, o]`` = filter from map ``i`` to map ``o``
``biases_conv2``    ``(n2, 1)``
``weights_conv3``   ``(n2, f3*f3)``         row ``i`` = filter from map ``i`` to the output
``biases_conv3``    ``(1, 1)``
==================  ======================  =====================================================

Each ``f*f`` vector is a filter in MATLAB's column-major order: element ``r + c*f`` (0-based) is row
``r``, column ``c`` of the filter. The authors apply each with ``imfilter(x, w, 'same',
'replicate')``, a correlation (no flip), which is what ``torch.nn.Conv2d`` computes, so the torch
weight is ``weight[o, i, r, c] = filter[r, c]`` without flipping; the ``same-replicate`` padding of
:class:`~sr_audit.model.SRCNN` is imfilter's replicate border. Filter sizes and map counts are read
from the shapes. ``tests/test_weights_infer.py`` checks the whole mapping against a direct float64
implementation of the authors' loops.

sr-audit checkpoints (:func:`save_model` / :func:`load_model`) are ``torch.save`` files of a dict
``{"format": CHECKPOINT_FORMAT, "config": SRCNNConfig fields, "state_dict": ..., "metadata": {...}}``
with JSON-ready metadata, written atomically and read with ``weights_only=True``.
"""
from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from sr_audit.errors import DataError
from sr_audit.io_util import atomic_write_bytes
from sr_audit.model import SRCNN, SRCNNConfig

#: Keys of the authors' ``.mat`` files.
MAT_KEYS: tuple[str, ...] = (
    "weights_conv1",
    "biases_conv1",
    "weights_conv2",
    "biases_conv2",
    "weights_conv3",
    "biases_conv3",
)

#: ``format`` field of sr-audit checkpoints.
CHECKPOINT_FORMAT = "sr-audit-srcnn/1"

#: What ``--model`` (``--weights``) accepts besides a file: the identity model on the degraded
#: input (:mod:`sr_audit.model_source` reads every model source).
BICUBIC = "bicubic"

def _filter_size(n: int, path: Path, key: str) -> int:
    f = math.isqrt(n)
    if f * f != n or f % 2 == 0:
        raise DataError(f"{path}: {key} holds filters of {n} values, not the square of an odd size; is this an SRCNN .mat?")
    return f


def load_authors_mat(path: str | os.PathLike[str], *, padding: str = "same-replicate") -> SRCNN:
    """SRCNN with the weights of one of the authors' ``.mat`` files (layout in the module docstring).

    Parameters
    ----------
    path : str or PathLike
        e.g. ``srcnn_official_weights/9-5-5_ImageNet/x3.mat``.
    padding : str
        Padding policy of the model (:data:`sr_audit.model.PADDINGS`); the authors ran
        ``same-replicate``.

    Returns
    -------
    SRCNN
        ``channels=1``, filter sizes and map counts from the shapes, parameters in float64 holding
        the file's values exactly (cast to the compute precision at inference), in eval mode.

    Raises
    ------
    DataError
        Missing file, missing keys, or shapes that do not fit together.
    """
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such weights file; check the path")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:  # scipy raises several unrelated types for a bad file
        raise DataError(f"{path}: not a MATLAB .mat file scipy can read ({exc})") from None
    missing = [k for k in MAT_KEYS if k not in mat]
    if missing:
        raise DataError(f"{path}: missing {', '.join(missing)}; an SRCNN .mat holds {', '.join(MAT_KEYS)}")
    w1, w2, w3 = (np.asarray(mat[k], dtype=np.float64) for k in ("weights_conv1", "weights_conv2", "weights_conv3"))
    b1, b2, b3 = (np.asarray(mat[k], dtype=np.float64).reshape(-1) for k in ("biases_conv1", "biases_conv2", "biases_conv3"))
    if w2.ndim == 2:  # a 1x1 middle layer saved as (n1, n2)
        w2 = w2[:, None, :]
    if w1.ndim != 2 or w2.ndim != 3 or w3.ndim != 2:
        raise DataError(f"{path}: weight arrays of shapes {w1.shape}, {w2.shape}, {w3.shape}; expected 2-D, 3-D, 2-D")
    f1 = _filter_size(w1.shape[0], path, "weights_conv1")
    f2 = _filter_size(w2.shape[1], path, "weights_conv2")
    f3 = _filter_size(w3.shape[1], path, "weights_conv3")
    n1, n2 = w1.shape[1], w2.shape[2]
    expected = {"weights_conv2": (n1, f2 * f2, n2), "weights_conv3": (n2, f3 * f3)}
    for key, arr in (("weights_conv2", w2), ("weights_conv3", w3)):
        if arr.shape != expected[key]:
            raise DataError(f"{path}: {key} has shape {arr.shape}, expected {expected[key]} from the other layers")
    for key, arr, n in (("biases_conv1", b1, n1), ("biases_conv2", b2, n2), ("biases_conv3", b3, 1)):
        if arr.size != n:
            raise DataError(f"{path}: {key} holds {arr.size} values, expected {n}")
    model = SRCNN(SRCNNConfig(f1=f1, f2=f2, f3=f3, n1=n1, n2=n2, channels=1, padding=padding)).double()
    # MATLAB reshape(w, f, f) is column-major: reshape with order="F", then move the map axes first.
    weights = {
        "conv1.weight": w1.reshape(f1, f1, n1, order="F").transpose(2, 0, 1)[:, None],
        "conv2.weight": w2.reshape(n1, f2, f2, n2, order="F").transpose(3, 0, 1, 2),
        "conv3.weight": w3.reshape(n2, f3, f3, order="F")[None],
        "conv1.bias": b1,
        "conv2.bias": b2,
        "conv3.bias": b3,
    }
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in weights.items()})
    return model.eval()


def save_model(path: str | os.PathLike[str], model: SRCNN, metadata: Mapping[str, Any] | None = None) -> None:
    """Write ``model`` (config, parameters in their dtype) and JSON-ready ``metadata`` atomically.

    Raises
    ------
    DataError
        Metadata that is not JSON-serialisable, or a missing target folder.
    """
    path = Path(path)
    meta = dict(metadata or {})
    try:
        json.dumps(meta, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise DataError(f"cannot save {path}: metadata must be JSON-ready (str, numbers, lists, dicts): {exc}") from None
    if not path.parent.is_dir():
        raise DataError(f"cannot save {path}: folder {path.parent} does not exist; create it first")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "config": model.config.as_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metadata": meta,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(path, buffer.getvalue())


class LoadedModel(NamedTuple):
    """A model read by :func:`load_model` and the metadata saved with it."""

    model: SRCNN
    metadata: dict[str, Any]


def first_line(exc: BaseException) -> str:
    """``Type: first line of the message``: an exception as one line of an error message (torch's
    loaders add paragraphs of advice that do not apply to a file that is simply not theirs)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def read_torch_file(path: str | os.PathLike[str], what: str) -> Any:
    """The object a ``torch.save`` file holds, read onto the CPU with ``weights_only=True``: the one
    loader of every checkpoint and state_dict sr-audit reads. ``what`` (with its article, e.g. "an
    sr-audit checkpoint") names the expected content in errors.

    Raises
    ------
    DataError
        Missing file, or one torch cannot read (corrupt, truncated, not a torch file), in one line
        naming ``what`` was expected.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; check the path")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors for foreign files
        raise DataError(f"{path}: not {what} torch can read ({first_line(exc)}); is the file complete?") from None


def load_model(path: str | os.PathLike[str]) -> LoadedModel:
    """Read a checkpoint written by :func:`save_model` onto the CPU, in eval mode, in its saved dtype.

    Raises
    ------
    DataError
        Missing file, or a file that is not an sr-audit checkpoint.
    """
    path = Path(path)
    payload = read_torch_file(path, "an sr-audit checkpoint")
    if not is_checkpoint(payload):
        raise DataError(f"{path}: not an sr-audit checkpoint (format {CHECKPOINT_FORMAT!r} expected)")
    return checkpoint_model(payload, path)


def is_checkpoint(payload: Any) -> bool:
    """Whether a loaded torch file is an sr-audit checkpoint (:data:`CHECKPOINT_FORMAT`)."""
    return isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT


def checkpoint_model(payload: Mapping[str, Any], path: Path) -> LoadedModel:
    """The model and metadata of a loaded sr-audit checkpoint (``path`` names it in errors)."""
    config = SRCNNConfig(**payload["config"])
    state = payload["state_dict"]
    model = SRCNN(config).to(state["conv1.weight"].dtype)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise DataError(f"{path}: parameters do not fit the saved config {config.name}: {first_line(exc)}") from None
    return LoadedModel(model=model.eval(), metadata=dict(payload["metadata"]))
