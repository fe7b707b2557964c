"""Any model ``eval`` and the matrix can run: :class:`ModelSource` in, :class:`ResolvedModel` out.

What ``--model`` (alias ``--weights``) accepts (:data:`MODEL_KINDS`), told apart by content, not
by suffix alone:

* ``bicubic``: the identity on the network input (the bicubic baseline);
* a ``.mat`` file: the SRCNN authors' weights (:func:`sr_audit.weights.load_authors_mat`); the
  training scale is the file name's ``x<scale>.mat``;
* a TorchScript archive (``torch.jit.save``; a zip holding ``constants.pkl``);
* a ``torch.save`` file holding an sr-audit checkpoint (its metadata records the training scale);
* a ``torch.save`` file holding a plain state_dict of an SRCNN-shaped model, as PyTorch
  reimplementations save them: ``conv1.weight``, ``conv2.weight``, ``conv3.weight`` and their
  biases, maybe under ``state_dict`` or ``model`` and with a ``module.`` prefix (``nn.DataParallel``).
  Filter sizes, map counts and channels (1: Y, 3: RGB) come from the shapes; the padding is not in
  the file: ``padding`` says it, else ``same-zero`` is assumed (``nn.Conv2d(padding=f // 2)``, what
  such reimplementations use) and said in :attr:`ResolvedModel.notes`;
* ``package.module:factory`` or ``path/to/file.py:factory``: a callable, called with no arguments,
  returning an ``nn.Module``.

SRCNNs (the first four kinds but TorchScript) run through the tiled, bit-exact
:func:`sr_audit.infer.infer` on the upsampled input; any other module through
:func:`sr_audit.infer.infer_module` whole-image under :data:`sr_audit.infer.MODULE_CONTRACT`, on the
input ``input`` names (:data:`sr_audit.evaluation.MODEL_INPUTS`). :attr:`ResolvedModel.identity` is
what a matrix key hashes: the file's SHA-256, or the factory name and its module file's SHA-256.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sr_audit.errors import DataError, SpecError
from sr_audit.evaluation import MODEL_INPUTS
from sr_audit.model import PADDINGS, SRCNN, SRCNNConfig
from sr_audit.weights import (
    BICUBIC,
    checkpoint_model,
    first_line,
    is_checkpoint,
    load_authors_mat,
    read_torch_file,
)

#: What a model source can be (module notes).
MODEL_KINDS: dict[str, str] = {
    "bicubic": "the identity on the upsampled input (the bicubic baseline)",
    "authors-mat": "the SRCNN authors' MATLAB .mat weights",
    "sr-audit": "an sr-audit SRCNN checkpoint",
    "state-dict": "a plain state_dict of an SRCNN-shaped model (conv1/conv2/conv3 weights and biases)",
    "torchscript": "a TorchScript file (torch.jit.save)",
    "factory": "a Python callable returning an nn.Module (package.module:factory or file.py:factory)",
}

#: Padding assumed for a state_dict SRCNN when none is given.
ASSUMED_PADDING = "same-zero"

#: Keys of an SRCNN-shaped state_dict.
SRCNN_KEYS: tuple[str, ...] = tuple(f"conv{i}.{p}" for i in (1, 2, 3) for p in ("weight", "bias"))

#: Keys a state_dict may be wrapped in.
WRAPPER_KEYS: tuple[str, ...] = ("state_dict", "model")

_FACTORY_RE = re.compile(r"^(?P<module>[^:]+\.py|[A-Za-z_][\w.]*):(?P<name>[A-Za-z_]\w*)$")
_SCALE_RE = re.compile(r"^x(\d+)\.mat$", re.IGNORECASE)


@dataclass(frozen=True)
class ModelSource:
    """What the user named as a model, checked at the boundary.

    Attributes
    ----------
    spec : str
        ``bicubic``, a file, or ``package.module:factory`` / ``file.py:factory``.
    input : str
        Key of :data:`sr_audit.evaluation.MODEL_INPUTS`: what the model takes.
    padding : str or None
        Key of :data:`sr_audit.model.PADDINGS` for a state_dict SRCNN (None: assume
        :data:`ASSUMED_PADDING`); refused for other kinds.
    """

    spec: str
    input: str = "upsampled"
    padding: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.spec, str) or not self.spec.strip():
            raise SpecError(f"model must be '{BICUBIC}', a file or package.module:factory, got {self.spec!r}")
        object.__setattr__(self, "spec", self.spec.strip())
        if self.input not in MODEL_INPUTS:
            raise SpecError(f"model input {self.input!r} is not one of: {', '.join(MODEL_INPUTS)}")
        if self.padding is not None and self.padding not in PADDINGS:
            raise SpecError(f"padding {self.padding!r} is not one of: {', '.join(PADDINGS)}")

    @property
    def is_factory(self) -> bool:
        """``module:factory`` (and not an existing file whose name has a colon)."""
        return bool(_FACTORY_RE.match(self.spec)) and not Path(self.spec).is_file()

    @property
    def label(self) -> str:
        """How rows and records name the model: ``bicubic``, the file name, or the factory (a
        factory file by its name: ``factory_models.py:make``)."""
        if self.spec.lower() == BICUBIC:
            return BICUBIC
        if self.is_factory:
            module, _, name = self.spec.rpartition(":")
            return f"{Path(module).name}:{name}" if module.endswith(".py") else self.spec
        return Path(self.spec).name


@dataclass(frozen=True)
class ResolvedModel:
    """A loaded model and what is known about it.

    Attributes
    ----------
    source : ModelSource
    kind : str
        Key of :data:`MODEL_KINDS`.
    module : nn.Module or None
        An :class:`~sr_audit.model.SRCNN` for the SRCNN kinds, any module otherwise, None for
        ``bicubic``.
    identity : mapping of str to str
        What identifies it in keys: ``{file name: sha256}``, or ``{"factory": ..., "module_sha256": ...}``.
    trained_scale : int or None
        The scale it was trained for, where the source records it.
    notes : tuple of str
        Assumptions made while loading (e.g. the padding of a state_dict).
    """

    source: ModelSource
    kind: str
    module: nn.Module | None
    identity: Mapping[str, str]
    trained_scale: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def srcnn(self) -> SRCNN | None:
        """The module when it is an SRCNN (run tiled), else None."""
        return self.module if isinstance(self.module, SRCNN) else None

    @property
    def label(self) -> str:
        return self.source.label

    def describe(self) -> str:
        """One line: the label, the kind, the SRCNN config or the input it takes."""
        if self.module is None:
            return BICUBIC
        what = (f"SRCNN {self.srcnn.config.name}, {self.srcnn.config.padding}" if self.srcnn is not None
                else f"{self.kind}, input {self.source.input}")
        return f"{self.source.spec} ({what})"

    def scale_warning(self, scale: int) -> str | None:
        """A sentence when the recorded training scale differs from ``scale`` (None otherwise)."""
        if self.trained_scale is None or self.trained_scale == scale:
            return None
        return (f"warning: {self.label} was trained for x{self.trained_scale} and is evaluated at x{scale}; "
                "scores will not be comparable to its published ones")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or n == "constants.pkl" for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _unwrap(payload: Any) -> dict[str, torch.Tensor] | None:
    """The SRCNN state_dict in a loaded torch file (wrappers and ``module.`` prefixes removed), or None."""
    for key in WRAPPER_KEYS:
        if isinstance(payload, Mapping) and isinstance(payload.get(key), Mapping):
            payload = payload[key]
    if not isinstance(payload, Mapping):
        return None
    state = {str(k).removeprefix("module."): v for k, v in payload.items()}
    return state if all(isinstance(state.get(k), torch.Tensor) for k in SRCNN_KEYS) else None


def srcnn_from_state_dict(state: Mapping[str, torch.Tensor], padding: str, where: str) -> SRCNN:
    """An SRCNN of the shapes of ``state`` (``conv1/2/3`` weights and biases) with ``padding``.

    Raises
    ------
    DataError
        Shapes that are not those of a three-layer SRCNN with square odd filters.
    """
    w1, w2, w3 = (state[f"conv{i}.weight"] for i in (1, 2, 3))
    shapes = ", ".join(f"conv{i}.weight {tuple(w.shape)}" for i, w in enumerate((w1, w2, w3), 1))
    fits = all(w.ndim == 4 and w.shape[2] == w.shape[3] and w.shape[2] % 2 == 1 for w in (w1, w2, w3)) and (
        w2.shape[1] == w1.shape[0] and w3.shape[1] == w2.shape[0] and w3.shape[0] == w1.shape[1] in (1, 3))
    if not fits:
        raise DataError(f"{where}: {shapes} are not the layers of an SRCNN (square odd filters, conv1 maps 1 or 3 "
                        "channels to n1, conv2 n1 to n2, conv3 n2 back to the input's channels)")
    config = SRCNNConfig(f1=w1.shape[2], f2=w2.shape[2], f3=w3.shape[2], n1=w1.shape[0], n2=w2.shape[0],
                         channels=w1.shape[1], padding=padding)
    model = SRCNN(config).to(w1.dtype)
    try:
        model.load_state_dict({k: state[k] for k in SRCNN_KEYS})
    except RuntimeError as exc:
        raise DataError(f"{where}: the biases do not fit {shapes} ({first_line(exc)})") from None
    return model.eval()


def _factory(source: ModelSource) -> ResolvedModel:
    match = _FACTORY_RE.match(source.spec)
    assert match is not None
    module_name, name = match["module"], match["name"]
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise DataError(f"{source.spec}: no such file {path}; check the path")
            spec = importlib.util.spec_from_file_location(f"sr_audit_factory_{path.stem}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except DataError:
        raise
    except Exception as exc:  # an import runs the user's code
        raise DataError(f"{source.spec}: cannot import {module_name} ({first_line(exc)})") from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise DataError(f"{source.spec}: {module_name} has no callable {name!r}")
    try:
        built = factory()
    except Exception as exc:
        raise DataError(f"{source.spec}: calling {name}() failed ({first_line(exc)})") from None
    if not isinstance(built, nn.Module):
        raise SpecError(f"{source.spec}: {name}() returned {type(built).__name__}, not a torch.nn.Module")
    file = getattr(module, "__file__", None)
    digest = _sha256(Path(file)) if file else "built-in"
    return ResolvedModel(source, "factory", built.eval(), {"factory": source.spec, "module_sha256": digest})


def resolve_model(source: ModelSource | str) -> ResolvedModel:
    """Load the model a :class:`ModelSource` names (module notes).

    Raises
    ------
    DataError
        A missing, corrupt or unrecognised file; a factory that cannot be imported or called.
    SpecError
        ``padding`` for a kind that records its own, ``input="lr"`` for an SRCNN, a factory that
        returns no ``nn.Module``.
    """
    source = source if isinstance(source, ModelSource) else ModelSource(source)
    if source.spec.lower() == BICUBIC:
        resolved = ResolvedModel(source, "bicubic", None, {})
    elif source.is_factory:
        resolved = _factory(source)
    else:
        resolved = _file(source)
    if source.padding is not None and resolved.kind != "state-dict":
        raise SpecError(f"--padding applies to a state_dict SRCNN; {source.label} is {MODEL_KINDS[resolved.kind]}, "
                        "which fixes its own")
    if resolved.srcnn is not None and source.input != "upsampled":
        raise SpecError(f"{source.label} is an SRCNN, which takes the upsampled image; drop --input {source.input}")
    return resolved


def _file(source: ModelSource) -> ResolvedModel:
    path = Path(source.spec)
    if not path.is_file():
        raise DataError(f"model {source.spec!r}: no such file, and not '{BICUBIC}' or package.module:factory")
    identity = {path.name: _sha256(path)}
    if path.suffix.lower() == ".mat":
        scale = _SCALE_RE.match(path.name)
        return ResolvedModel(source, "authors-mat", load_authors_mat(path), identity,
                             trained_scale=int(scale[1]) if scale else None)
    if _is_torchscript(path):
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # torch raises runtime errors of several kinds
            raise DataError(f"{path}: not a TorchScript file torch can load ({first_line(exc)})") from None
        return ResolvedModel(source, "torchscript", module.eval(), identity)
    payload = read_torch_file(path, "a TorchScript file, an sr-audit checkpoint or a state_dict")
    if is_checkpoint(payload):
        loaded = checkpoint_model(payload, path)
        scale = loaded.metadata.get("degradation", {}).get("scale") if isinstance(loaded.metadata.get("degradation"), dict) else None
        return ResolvedModel(source, "sr-audit", loaded.model, identity, trained_scale=scale)
    state = _unwrap(payload)
    if state is None:
        found = sorted(payload)[:8] if isinstance(payload, Mapping) else type(payload).__name__
        raise DataError(f"{path}: neither an sr-audit checkpoint nor an SRCNN state_dict (needs {', '.join(SRCNN_KEYS)}, "
                        f"maybe under {' or '.join(WRAPPER_KEYS)}; found {found}); save other models with "
                        "torch.jit.save or give package.module:factory")
    padding = source.padding or ASSUMED_PADDING
    notes = () if source.padding else (
        f"{path.name}: a state_dict does not record the padding; assumed {ASSUMED_PADDING} "
        f"({PADDINGS[ASSUMED_PADDING]}); give --padding to change it",)
    return ResolvedModel(source, "state-dict", srcnn_from_state_dict(state, padding, str(path)), identity, notes=notes)


def y_srcnn(spec: str, command: str) -> SRCNN | None:
    """The one-channel SRCNN with ``same`` padding that ``spec`` names (None for ``bicubic``): what
    ``explain`` and ``pitfalls`` (``command``) run, on Y planes of the input's size.

    Raises
    ------
    SpecError
        Any other model.
    """
    resolved = resolve_model(spec)
    model = resolved.srcnn
    if resolved.module is not None and (model is None or model.config.channels != 1 or model.config.padding == "valid"):
        what = (f"a {model.config.channels}-channel SRCNN with {model.config.padding!r} padding" if model is not None
                else MODEL_KINDS[resolved.kind])
        raise SpecError(f"{command} runs one-channel (Y) SRCNNs with 'same' padding; {spec} is {what}")
    return model


__all__ = [
    "ASSUMED_PADDING",
    "MODEL_KINDS",
    "ModelSource",
    "ResolvedModel",
    "resolve_model",
    "srcnn_from_state_dict",
    "y_srcnn",
]
