"""The results store: one folder per trained model and per evaluated cell, never losing finished work.

Layout
------
::

    STORE/
      store.json                  marker: {"format": "sr-audit-store", "version": 1}
      models/<model_key>/
        checkpoint.pt             written by training (optional; see Store.put_model)
        model.json                ModelRecord
      cells/<cell_key>/
        crops/<image>--<role>.png optional small visual crops (role: hr, bicubic, sr)
        cell.json                 CellRecord
      index.sqlite                cache of every record, rebuilt from the folders
      .locks/                     index.lock and one <key>.lock per claimed key

The folders are the truth. Every file is written atomically (temporary file in the same folder,
fsync, ``os.replace``, fsync of the folder), and a folder's JSON is written last, so a model or cell
exists exactly when its ``model.json`` / ``cell.json`` exists and parses. Temporary files are
hidden (``.NAME.HOST.PID.TOKEN.tmp``); one left by a killed process is never read, and it is
deleted when the store is next opened (its process is gone, or it is older than a day).

``index.sqlite`` caches the records for queries, and is deleted and rebuilt when it is unreadable or
of another version, so deleting it is always safe. It is kept up to date incrementally, under the
index lock: a write indexes its own record in place, and every query or write first compares the
listing stamp (mtime and link count) of ``models/`` and ``cells/`` with the one the index last
saw, scanning a folder's records (by their size and mtime) only when its listing changed (a folder
added or removed by another process or by hand), and otherwise looking again only at folders that
had no JSON yet (a write in progress, or a killed one). So a query costs a few ``stat`` calls
whatever the store's size (``benchmarks/store_index.py``). Opening a store scans everything; a
record edited in place by hand (not through :class:`Store`) is seen at the next open or
:meth:`Store.rebuild_index`.

Keys
----
A key is the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8, no NaN) of everything
that determines a result; :func:`model_key` and :func:`cell_key` take those inputs as plain dicts,
so a runner can compute a key, ask :meth:`Store.has_cell`, and skip finished work before computing
anything. The fields are :data:`MODEL_KEY_FIELDS` and :data:`CELL_KEY_FIELDS`; a cell key covers
its model through ``model_key``, so it changes whenever the training does. A field added later
(:data:`CELL_KEY_OPTIONAL`: the network space) is hashed only when it differs from the value every
older cell implicitly had, so stores written before it keep their keys. Device, date and wall time
are recorded but are not part of any key.

Concurrency
-----------
Any number of processes may use one store. Index updates hold ``.locks/index.lock``;
:meth:`Store.claim` holds ``.locks/<key>.lock`` so two processes never compute the same model or
cell. Locks are ``fcntl`` locks (via :mod:`filelock`): the kernel releases them when a process dies,
so a killed run leaves no stale lock. They need a file system with working POSIX locks (local
disks; NFS only with a lock daemon).

Tables
------
:meth:`Store.cells` is the long format: one row per cell and image, columns :data:`CELL_COLUMNS`
then ``image`` and the :data:`METRICS`. :meth:`Store.means` has one row per cell with the mean of
each metric over the cell's images (the mean of per-image PSNR, as SR papers report it, not PSNR of
the pooled error) and ``n_images``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
import sqlite3
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import filelock
import numpy as np
import pandas as pd

from sr_audit.degradation import SPACES as NETWORK_SPACES
from sr_audit.errors import DataError
from sr_audit.io_util import (
    HOST_TAG,
    atomic_write_bytes,
    content_hash,
    json_number,
    plain_json,
)

#: Version of the record JSON written by this module (``"schema"`` in model.json and cell.json).
SCHEMA_VERSION = 1
#: Version of the SQLite index layout; an index of another version is rebuilt.
INDEX_VERSION = 3
STORE_FORMAT = "sr-audit-store"
STORE_VERSION = 1

#: What each kind of cell is.
CELL_KINDS: dict[str, str] = {
    "trained": "an SRCNN trained here on the train spec's degradation",
    "bicubic": "the eval spec's own bicubic upscale of the LR image (identity model): the baseline",
    "official": "the authors' released weights",
    "external": "a pretrained model brought with --model (a file or a factory), evaluated, never trained",
}
#: What each kind of model is.
MODEL_KINDS: dict[str, str] = {k: CELL_KINDS[k] for k in ("trained", "official", "external")}

#: Per-image metrics of a cell, in the order tables show them.
METRICS: tuple[str, ...] = ("psnr_rgb", "psnr_y", "ssim_rgb", "ssim_y")

#: Roles of the crops a cell may keep, in display order.
CROP_ROLES: dict[str, str] = {
    "hr": "ground-truth high-resolution crop",
    "bicubic": "the eval spec's bicubic upscale of the LR crop",
    "sr": "the model's output",
}

#: Inputs of :func:`model_key`, exactly.
MODEL_KEY_FIELDS: tuple[str, ...] = (
    "kind", "train_spec", "scale", "model_config", "seed", "recipe", "data", "versions",
)
#: Inputs of :func:`cell_key`, exactly (plus those of :data:`CELL_KEY_OPTIONAL`).
CELL_KEY_FIELDS: tuple[str, ...] = (
    "kind", "model_key", "eval_spec", "eval_set", "scale", "protocol", "data", "versions",
)
#: Inputs :func:`cell_key` also takes, added after the first format, each with the value at which
#: it is left out of the hash: every key made before it existed stays valid.
CELL_KEY_OPTIONAL: dict[str, Any] = {"space": "y"}

#: Columns that identify a cell in :meth:`Store.cells` and :meth:`Store.means`.
CELL_COLUMNS: tuple[str, ...] = (
    "key", "kind", "eval_set", "protocol", "scale", "space", "model", "seed", "recipe",
    "train_spec", "eval_spec", "model_key",
)

CHECKPOINT_NAME = "checkpoint.pt"
MAX_CROP_SIDE = 256
MAX_CROPS = 24
#: A temporary file older than this is deleted even when its process cannot be checked.
STALE_TEMP_S = 24 * 3600
LOCK_TIMEOUT_S = 120.0

_KEY_RE = re.compile(r"[0-9a-f]{64}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
_TEMP_RE = re.compile(r"\.(?P<name>.+)\.(?P<host>[0-9a-f]{8})\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp")


# --------------------------------------------------------------------------------------------
# JSON values: checked, frozen for records, plain for files and keys


def _freeze(value: Any) -> Any:
    """Read-only copy of plain JSON: mappings become mappingproxy, lists become tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _exact_fields(inputs: Mapping[str, Any], fields: tuple[str, ...], what: str,
                  optional: Mapping[str, Any] = MappingProxyType({})) -> None:
    if not isinstance(inputs, Mapping):
        raise DataError(f"{what} takes a dict of {', '.join(fields)}, got {type(inputs).__name__}")
    missing = [f for f in fields if f not in inputs]
    extra = [f for f in inputs if f not in fields and f not in optional]
    if missing or extra:
        raise DataError(
            f"{what} inputs must be exactly {', '.join(fields)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; unknown: {', '.join(map(str, extra))}" if extra else "")
        )


def model_key(inputs: Mapping[str, Any]) -> str:
    """Content key of a model: SHA-256 of the canonical JSON of ``inputs``.

    Parameters
    ----------
    inputs : dict
        Exactly the fields of :data:`MODEL_KEY_FIELDS`: ``kind`` (``"trained"`` or
        ``"official"``), ``train_spec`` (canonical spec string, or None for official weights),
        ``scale`` (int), ``model_config`` (``SRCNNConfig.as_dict()``), ``seed`` (int or None),
        ``recipe`` (dict with a ``"name"``, or None), ``data`` (name -> SHA-256 of the training
        data, or of the weights file for official weights) and ``versions`` (library -> version of
        every library that touches the numbers).

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> k = model_key({"kind": "trained", "train_spec": "pil:bicubic+aa", "scale": 3,
    ...                "model_config": {"f1": 9}, "seed": 0, "recipe": {"name": "paper"},
    ...                "data": {"T91": "ab"}, "versions": {"torch": "2.13.0"}})
    >>> len(k)
    64
    """
    _exact_fields(inputs, MODEL_KEY_FIELDS, "model_key")
    return content_hash(inputs)


def cell_key(inputs: Mapping[str, Any]) -> str:
    """Content key of a cell: SHA-256 of the canonical JSON of ``inputs``.

    Parameters
    ----------
    inputs : dict
        Exactly the fields of :data:`CELL_KEY_FIELDS`: ``kind`` (a key of :data:`CELL_KINDS`),
        ``model_key`` (None for ``bicubic``), ``eval_spec`` (canonical spec string),
        ``eval_set`` (data set name), ``scale``, ``protocol`` (the metric protocol as a dict),
        ``data`` (image name -> SHA-256 of the evaluation images) and ``versions``; optionally
        ``space`` (a key of :data:`sr_audit.degradation.SPACES`), hashed only when it is not ``"y"``
        (:data:`CELL_KEY_OPTIONAL`).

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    _exact_fields(inputs, CELL_KEY_FIELDS, "cell_key", CELL_KEY_OPTIONAL)
    return content_hash({k: v for k, v in inputs.items() if k not in CELL_KEY_OPTIONAL or v != CELL_KEY_OPTIONAL[k]})


def crop_name(image: str, role: str) -> str:
    """File stem of a crop: ``<image>--<role>``; ``role`` is a key of :data:`CROP_ROLES`."""
    if role not in CROP_ROLES:
        raise DataError(f"crop role {role!r} is not one of: {', '.join(CROP_ROLES)}")
    return f"{image}--{role}"


# --------------------------------------------------------------------------------------------
# JSON files and stale temporary files


def _json_bytes(obj: Mapping[str, Any]) -> bytes:
    return (json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale_temp(path: Path, now: float) -> bool:
    m = _TEMP_RE.fullmatch(path.name)
    if m is None:
        return False
    if m["host"] == HOST_TAG and not _pid_alive(int(m["pid"])):
        return True
    try:
        return now - path.stat().st_mtime > STALE_TEMP_S
    except FileNotFoundError:
        return False


# --------------------------------------------------------------------------------------------
# Records


def _check_str(value: Any, field: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{field} must be a non-empty string, got {value!r}")


def _check_int(value: Any, field: str, *, optional: bool = False, minimum: int | None = None) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{field} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise DataError(f"{field} must be >= {minimum}, got {value}")


def _number(value: Any, field: str) -> float:
    """A JSON-read metric: numbers, or the string "inf" that :meth:`ImageMetrics.as_dict` writes."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer, str)):
        raise DataError(f"{field} must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{field} must be a number, got {value!r}") from None


def _set(obj: Any, **fields: Any) -> None:
    for name, value in fields.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class ImageMetrics:
    """Metrics of one evaluation image (after the protocol's shave, quantisation and colour space).

    Attributes
    ----------
    name : str
        Image name, unique within a cell (letters, digits, ``_.+-``).
    psnr_rgb, psnr_y : float
        PSNR in dB over RGB and over luma Y; ``inf`` for identical images (written as ``"inf"``).
    ssim_rgb, ssim_y : float
        SSIM in [-1, 1].
    """

    name: str
    psnr_rgb: float
    psnr_y: float
    ssim_rgb: float
    ssim_y: float

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise DataError(f"image name {self.name!r} must be letters, digits and _.+- (it names crop files)")
        for m in METRICS:
            v = _number(getattr(self, m), f"{self.name}.{m}")
            if math.isnan(v) or (m.startswith("ssim") and not -1.0 <= v <= 1.0) or v == -math.inf:
                raise DataError(f"{self.name}.{m} = {v} is impossible (PSNR is a number or +inf, SSIM in [-1, 1])")
            _set(self, **{m: v})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict; an infinite PSNR becomes the string ``"inf"``."""
        return {"name": self.name, **{m: json_number(getattr(self, m)) for m in METRICS}}


@dataclass(frozen=True)
class Environment:
    """Where and when a record was computed. Not part of any key except through ``versions``.

    Attributes
    ----------
    versions : mapping of str to str
        Library name -> version of every library that touches the numbers (torch, numpy, the
        resize backends' libraries, ...). These versions are part of the model and cell keys.
    device : str
        E.g. ``"cpu"`` or ``"cuda:0 (NVIDIA H100)"``.
    sr_audit : str
        sr-audit version.
    date : str
        ISO 8601 date and time with a UTC offset.
    """

    versions: Mapping[str, str]
    device: str
    sr_audit: str
    date: str

    def __post_init__(self) -> None:
        versions = plain_json(self.versions, "environment.versions")
        if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
            raise DataError(f"environment.versions must map library names to version strings, got {self.versions!r}")
        _set(self, versions=_freeze(versions))
        _check_str(self.device, "environment.device")
        _check_str(self.sr_audit, "environment.sr_audit")
        _check_str(self.date, "environment.date")
        try:
            stamp = datetime.fromisoformat(self.date)
        except ValueError:
            raise DataError(f"environment.date {self.date!r} is not ISO 8601 (e.g. 2025-01-31T12:00:00+00:00)") from None
        if stamp.tzinfo is None:
            raise DataError(f"environment.date {self.date!r} has no UTC offset; write e.g. 2025-01-31T12:00:00+00:00")

    @classmethod
    def current(cls, versions: Mapping[str, str], device: str) -> "Environment":
        """This process's environment: the given versions and device, sr-audit's version, now (UTC)."""
        from sr_audit import __version__

        return cls(versions=versions, device=device, sr_audit=__version__,
                   date=datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def as_dict(self) -> dict[str, Any]:
        return {"versions": dict(self.versions), "device": self.device, "sr_audit": self.sr_audit, "date": self.date}


def _mapping(value: Any, field: str, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, Mapping):
        raise DataError(f"{field} must be a dict, got {value!r}")
    return _freeze(plain_json(value, field))


def _check_recipe(recipe: Any, field: str) -> None:
    if recipe is not None and not isinstance(recipe.get("name"), str):
        raise DataError(f"{field} must carry a string 'name' (reports group by it), got {dict(recipe)!r}")


def _check_data(data: Mapping[str, Any], field: str) -> None:
    if not data or not all(isinstance(v, str) and v for v in data.values()):
        raise DataError(f"{field} must map names to content hashes (non-empty strings), got {dict(data)!r}")


def _record_fields(cls: type, obj: Mapping[str, Any], what: str, added: tuple[str, ...] = ()) -> dict[str, Any]:
    """The dataclass fields of ``cls`` from a loaded JSON object, checking schema and unknown keys;
    fields in ``added`` came after the schema's first files and take their defaults when missing."""
    if not isinstance(obj, Mapping):
        raise DataError(f"{what} is not a JSON object")
    if obj.get("schema") != SCHEMA_VERSION:
        raise DataError(f"{what} has schema {obj.get('schema')!r}; this sr-audit reads schema {SCHEMA_VERSION}")
    names = [f.name for f in dataclasses.fields(cls)]
    derived = {"schema", "key", "means"}
    unknown = [k for k in obj if k not in names and k not in derived]
    missing = [n for n in names if n not in obj and n not in added]
    if unknown or missing:
        raise DataError(f"{what}: " + "; ".join(
            p for p in (f"unknown fields {unknown}" if unknown else "", f"missing fields {missing}" if missing else "") if p))
    return {n: obj[n] for n in names if n in obj}


@dataclass(frozen=True)
class ModelRecord:
    """A trained model (or the authors' released weights): ``models/<key>/model.json``.

    Attributes
    ----------
    kind : str
        ``"trained"``, ``"official"`` or ``"external"`` (:data:`MODEL_KINDS`).
    train_spec : str or None
        Canonical spec string of the training degradation (required for ``trained``).
    scale : int
        Upscaling factor, >= 2.
    model : str
        Model name, e.g. ``"9-1-5"``.
    model_config : mapping
        ``SRCNNConfig.as_dict()``.
    seed : int or None
        Training seed (required for ``trained``).
    recipe : mapping or None
        Training recipe as a dict with at least ``"name"`` (required for ``trained``).
    data : mapping of str to str
        Content hashes of the training data (``trained``), of the weights file (``official``), or
        what identifies a pretrained model (``external``: file name -> SHA-256, or the factory and
        its module file's SHA-256).
    environment : Environment
    wall_time_s : float or None
        Training wall time in seconds.
    final_loss : float or None
        Training loss at the last step.
    """

    kind: str
    train_spec: str | None
    scale: int
    model: str
    model_config: Mapping[str, Any]
    seed: int | None
    recipe: Mapping[str, Any] | None
    data: Mapping[str, str]
    environment: Environment
    wall_time_s: float | None = None
    final_loss: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise DataError(f"model kind {self.kind!r} is not one of: {', '.join(MODEL_KINDS)}")
        trained = self.kind == "trained"
        _check_str(self.train_spec, "model train_spec", optional=not trained)
        _check_int(self.scale, "model scale", minimum=2)
        _check_str(self.model, "model name")
        _check_int(self.seed, "model seed", optional=not trained)
        _set(self, model_config=_mapping(self.model_config, "model_config"),
             recipe=_mapping(self.recipe, "model recipe", optional=not trained),
             data=_mapping(self.data, "model data"))
        _check_recipe(self.recipe, "model recipe")
        _check_data(self.data, "model data")
        if not isinstance(self.environment, Environment):
            raise DataError(f"model environment must be an Environment, got {type(self.environment).__name__}")
        for name in ("wall_time_s", "final_loss"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                raise DataError(f"model {name} must be a finite number or None, got {v!r}")

    def key_inputs(self) -> dict[str, Any]:
        """The plain dict :func:`model_key` hashes."""
        return plain_json({"kind": self.kind, "train_spec": self.train_spec, "scale": self.scale,
                       "model_config": self.model_config, "seed": self.seed, "recipe": self.recipe,
                       "data": self.data, "versions": self.environment.versions}, "model")

    @property
    def key(self) -> str:
        return model_key(self.key_inputs())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with ``schema`` and ``key`` added."""
        out = plain_json({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "environment"}, "model")
        return {"schema": SCHEMA_VERSION, "key": self.key, **out, "environment": self.environment.as_dict()}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], what: str = "model.json") -> "ModelRecord":
        fields = _record_fields(cls, obj, what)
        env = fields["environment"]
        fields["environment"] = Environment(**env) if isinstance(env, Mapping) else env
        return cls(**fields)


@dataclass(frozen=True)
class CellRecord:
    """One evaluated cell: ``cells/<key>/cell.json``.

    Attributes
    ----------
    kind : str
        A key of :data:`CELL_KINDS`: ``trained``, ``bicubic`` (the eval spec's bicubic upscale,
        i.e. the identity model) or ``official`` (the authors' released weights).
    eval_spec : str
        Canonical spec string of the evaluation degradation (and of the bicubic upscale that makes
        the network's input).
    eval_set : str
        Evaluation data set name, e.g. ``"Set5"``.
    scale : int
        Upscaling factor, >= 2.
    protocol : mapping
        The metric protocol as a dict (Y definition, rounding, shave, SSIM variant, ...); a
        ``"name"`` entry, when present, labels it in reports.
    conventions : mapping
        ``Conventions.as_dict()`` of the eval spec: what its resize computes.
    environment : Environment
    data : mapping of str to str
        Content hashes of the evaluation images (image name -> SHA-256).
    images : tuple of ImageMetrics
        Per-image metrics, at least one, unique names.
    model_key : str or None
        Key of the model in ``models/`` (None exactly for ``bicubic``).
    train_spec : str or None
        Training spec (required for ``trained``; may name the authors' degradation for
        ``official``; None for ``bicubic``).
    model : str
        Model name (``"bicubic"`` for the baseline).
    model_config : mapping
        ``SRCNNConfig.as_dict()`` (empty for ``bicubic``).
    seed : int or None
    recipe : mapping or None
        As in :class:`ModelRecord`.
    space : str
        What the network saw (a key of :data:`sr_audit.degradation.SPACES`): the Y plane or RGB. Part of the key
        only when it is not ``"y"``, and ``"y"`` when a ``cell.json`` written before it lacks it.

    Notes
    -----
    ``key`` and ``means`` are derived: ``key`` is :func:`cell_key` of :meth:`key_inputs`, and
    ``means`` averages ``images``. Both are written to ``cell.json`` for readers and recomputed on
    load; a file whose key differs from its folder name is rejected.
    """

    kind: str
    eval_spec: str
    eval_set: str
    scale: int
    protocol: Mapping[str, Any]
    conventions: Mapping[str, Any]
    environment: Environment
    data: Mapping[str, str]
    images: tuple[ImageMetrics, ...]
    model_key: str | None = None
    train_spec: str | None = None
    model: str = "bicubic"
    model_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    seed: int | None = None
    recipe: Mapping[str, Any] | None = None
    space: str = "y"

    def __post_init__(self) -> None:
        if self.kind not in CELL_KINDS:
            raise DataError(f"cell kind {self.kind!r} is not one of: {', '.join(CELL_KINDS)}")
        if self.space not in NETWORK_SPACES:
            raise DataError(f"cell space {self.space!r} is not one of: {', '.join(NETWORK_SPACES)}")
        for name in ("eval_spec", "eval_set", "model"):
            _check_str(getattr(self, name), f"cell {name}")
        _check_int(self.scale, "cell scale", minimum=2)
        if self.kind == "bicubic":
            if self.model_key is not None or self.train_spec is not None:
                raise DataError("a bicubic cell has no model: model_key and train_spec must be None")
        elif not (isinstance(self.model_key, str) and _KEY_RE.fullmatch(self.model_key)):
            raise DataError(f"a {self.kind} cell needs the model_key of its model (64 hex digits), got {self.model_key!r}")
        trained = self.kind == "trained"
        _check_str(self.train_spec, "cell train_spec", optional=not trained)
        _check_int(self.seed, "cell seed", optional=not trained)
        _set(self, protocol=_mapping(self.protocol, "cell protocol"),
             conventions=_mapping(self.conventions, "cell conventions"),
             data=_mapping(self.data, "cell data"),
             model_config=_mapping(self.model_config, "cell model_config"),
             recipe=_mapping(self.recipe, "cell recipe", optional=not trained))
        _check_recipe(self.recipe, "cell recipe")
        _check_data(self.data, "cell data")
        if not isinstance(self.environment, Environment):
            raise DataError(f"cell environment must be an Environment, got {type(self.environment).__name__}")
        images = tuple(_image(im) for im in self.images)
        if not images:
            raise DataError("a cell needs the metrics of at least one image")
        names = [im.name for im in images]
        if len(set(names)) != len(names):
            raise DataError(f"cell image names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}")
        _set(self, images=images)

    def key_inputs(self) -> dict[str, Any]:
        """The plain dict :func:`cell_key` hashes (optional fields only where they are not at their default)."""
        optional = {k: getattr(self, k) for k, default in CELL_KEY_OPTIONAL.items() if getattr(self, k) != default}
        return plain_json({"kind": self.kind, "model_key": self.model_key, "eval_spec": self.eval_spec,
                       "eval_set": self.eval_set, "scale": self.scale, "protocol": self.protocol,
                       "data": self.data, "versions": self.environment.versions, **optional}, "cell")

    @property
    def key(self) -> str:
        return cell_key(self.key_inputs())

    @property
    def means(self) -> dict[str, float]:
        """Mean of each metric over the images."""
        return {m: float(np.mean([getattr(im, m) for im in self.images])) for m in METRICS}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with ``schema``, ``key`` and ``means`` added."""
        skip = ("environment", "images")
        out = plain_json({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in skip}, "cell")
        means = {m: json_number(v) for m, v in self.means.items()}
        return {"schema": SCHEMA_VERSION, "key": self.key, **out, "environment": self.environment.as_dict(),
                "images": [im.as_dict() for im in self.images], "means": means}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], what: str = "cell.json") -> "CellRecord":
        fields = _record_fields(cls, obj, what, added=tuple(CELL_KEY_OPTIONAL))
        env = fields["environment"]
        fields["environment"] = Environment(**env) if isinstance(env, Mapping) else env
        if not isinstance(fields["images"], Sequence) or isinstance(fields["images"], str):
            raise DataError(f"{what}: images must be a list")
        return cls(**fields)


def _image(value: Any) -> ImageMetrics:
    if isinstance(value, ImageMetrics):
        return value
    if isinstance(value, Mapping):
        try:
            return ImageMetrics(**value)
        except TypeError as exc:
            raise DataError(f"image metrics {dict(value)!r} need exactly name, {', '.join(METRICS)}: {exc}") from None
    raise DataError(f"cell images must be ImageMetrics or dicts, got {type(value).__name__}")


def dict_label(mapping: Mapping[str, Any] | None) -> str | None:
    """How tables name a protocol or recipe dict: its ``"name"``, else ``sha256:`` and 12 hex digits
    of its content hash; None stays None."""
    if mapping is None:
        return None
    name = mapping.get("name")
    return name if isinstance(name, str) and name else "sha256:" + content_hash(mapping)[:12]


# --------------------------------------------------------------------------------------------
# The store

_INDEX_SCHEMA = """
CREATE TABLE files(tbl TEXT NOT NULL, key TEXT NOT NULL, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL,
                   PRIMARY KEY (tbl, key));
CREATE TABLE models(key TEXT PRIMARY KEY, kind TEXT, train_spec TEXT, scale INTEGER, model TEXT,
                    seed INTEGER, recipe TEXT, json TEXT NOT NULL);
CREATE TABLE cells(key TEXT PRIMARY KEY, kind TEXT, eval_set TEXT, protocol TEXT, scale INTEGER, space TEXT, model TEXT,
                   seed INTEGER, recipe TEXT, train_spec TEXT, eval_spec TEXT, model_key TEXT, json TEXT NOT NULL);
CREATE TABLE images(cell TEXT NOT NULL, name TEXT NOT NULL, psnr_rgb REAL, psnr_y REAL, ssim_rgb REAL,
                    ssim_y REAL, PRIMARY KEY (cell, name));
CREATE TABLE listings(tbl TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, nlink INTEGER NOT NULL);
CREATE TABLE pending(tbl TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (tbl, key));
"""
_ORDER = "c.eval_set, c.protocol, c.scale, c.space, c.model, c.seed, c.recipe, c.kind, c.train_spec, c.eval_spec"


class Store:
    """A results store folder (see the module docstring for the layout and guarantees).

    Parameters
    ----------
    root : path
        The store folder.
    create : bool
        Create the store when ``root`` does not exist or is empty. Without it a missing store is a
        :class:`~sr_audit.errors.DataError`.

    Notes
    -----
    Opening a store deletes temporary files left by killed writers and brings the index up to date
    with the folders.
    """

    def __init__(self, root: str | os.PathLike[str], *, create: bool = False) -> None:
        self.root = Path(root)
        marker = self.root / "store.json"
        if not marker.is_file():
            empty = not self.root.exists() or (self.root.is_dir() and not any(self.root.iterdir()))
            if not create:
                raise DataError(f"no results store at {self.root} (no store.json); check the path or run `sr-audit matrix` to make one")
            if not empty:
                raise DataError(f"{self.root} is not empty and not a results store; pick a new or empty folder")
            atomic_write_bytes(marker, _json_bytes({"format": STORE_FORMAT, "version": STORE_VERSION}))
        try:
            meta = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"{marker} is unreadable ({exc}); restore it or point to another store") from None
        if not isinstance(meta, dict) or meta.get("format") != STORE_FORMAT or meta.get("version") != STORE_VERSION:
            raise DataError(f"{marker} is not an sr-audit store of version {STORE_VERSION}: {meta!r}")
        for sub in ("models", "cells", ".locks"):
            (self.root / sub).mkdir(exist_ok=True)
        self.index_path = self.root / "index.sqlite"
        self._index_lock = filelock.FileLock(self.root / ".locks" / "index.lock", timeout=LOCK_TIMEOUT_S)
        with self._locked_index():
            self._clean_temps()
        self._with_index(lambda con: None, full=True)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # ---- paths

    def _key_dir(self, table: str, key: str) -> Path:
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            raise DataError(f"{key!r} is not a store key (64 lowercase hex digits from model_key/cell_key)")
        return self.root / table / key

    def cell_dir(self, key: str) -> Path:
        """Folder of cell ``key`` (whether or not it exists)."""
        return self._key_dir("cells", key)

    def model_dir(self, key: str) -> Path:
        """Folder of model ``key`` (whether or not it exists)."""
        return self._key_dir("models", key)

    # ---- locks

    @contextlib.contextmanager
    def _locked_index(self) -> Iterator[None]:
        try:
            with self._index_lock:
                yield
        except filelock.Timeout:
            raise DataError(f"the index lock {self._index_lock.lock_file} was busy for {LOCK_TIMEOUT_S:.0f} s; "
                            "another sr-audit process is using the store, try again when it is done") from None

    @contextlib.contextmanager
    def claim(self, key: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the lock of ``key`` (a cell or model key) while the caller computes it.

        Parameters
        ----------
        key : str
            A key from :func:`cell_key` or :func:`model_key`.
        wait : bool
            Wait for another process holding the key; when False, yield False at once instead.

        Yields
        ------
        bool
            True when the caller holds the lock and no finished cell or model has this key: it
            should compute it and ``put_cell``/``put_model`` it inside the ``with`` block. False
            when the key is finished (perhaps by the process waited for), or busy with
            ``wait=False``: skip it.

        Examples
        --------
        >>> with store.claim(key) as mine:  # doctest: +SKIP
        ...     if mine:
        ...         store.put_cell(evaluate(...))
        """
        self._key_dir("cells", key)
        lock = filelock.FileLock(self.root / ".locks" / f"{key}.lock", timeout=-1 if wait else 0)
        try:
            lock.acquire()
        except filelock.Timeout:
            yield False
            return
        try:
            yield not (self.has_cell(key) or self.has_model(key))
        finally:
            lock.release()

    # ---- reading single records (straight from the folders: the truth)

    def _read(self, table: str, key: str) -> ModelRecord | CellRecord | None:
        cls, name = (CellRecord, "cell.json") if table == "cells" else (ModelRecord, "model.json")
        path = self._key_dir(table, key) / name
        try:
            return self._parse(cls, path.read_bytes(), key, path)
        except FileNotFoundError:
            return None

    @staticmethod
    def _parse(cls: type, raw: bytes, key: str, path: Path) -> Any:
        try:
            record = cls.from_dict(json.loads(raw.decode("utf-8")), what=str(path))
        except (ValueError, TypeError) as exc:  # DataError is a ValueError
            raise DataError(f"{path} is not a valid record: {exc}") from None
        if record.key != key:
            raise DataError(f"{path} holds the record of key {record.key[:12]}…, not of its folder {key[:12]}…")
        return record

    def _read_valid(self, table: str, key: str) -> Any:
        self._key_dir(table, key)  # a malformed key is the caller's error, not a damaged record
        try:
            return self._read(table, key)
        except DataError as exc:
            warnings.warn(f"{exc}; ignored (it will be recomputed)", stacklevel=3)
            return None

    def has_cell(self, key: str) -> bool:
        """True when cell ``key`` is finished: its ``cell.json`` exists and is a valid record."""
        return self._read_valid("cells", key) is not None

    def has_model(self, key: str) -> bool:
        """True when model ``key`` is finished: its ``model.json`` exists and is a valid record."""
        return self._read_valid("models", key) is not None

    def cell(self, key: str) -> CellRecord:
        """The record of cell ``key``."""
        record = self._read("cells", key)
        if record is None:
            raise DataError(f"no cell {key} in {self.root}")
        return record  # type: ignore[return-value]

    def model(self, key: str) -> ModelRecord:
        """The record of model ``key``."""
        record = self._read("models", key)
        if record is None:
            raise DataError(f"no model {key} in {self.root}")
        return record  # type: ignore[return-value]

    def checkpoint_path(self, key: str) -> Path | None:
        """The checkpoint file of model ``key``, or None when the model has none."""
        path = self.model_dir(key) / CHECKPOINT_NAME
        return path if path.is_file() and self.has_model(key) else None

    def crops(self, key: str) -> dict[tuple[str, str], Path]:
        """Crops kept by cell ``key``: ``(image, role) -> PNG path`` (empty when none)."""
        folder = self.cell_dir(key) / "crops"
        out: dict[tuple[str, str], Path] = {}
        if folder.is_dir():
            for path in sorted(folder.glob("*.png")):
                image, sep, role = path.stem.rpartition("--")
                if sep and role in CROP_ROLES and not path.name.startswith("."):
                    out[(image, role)] = path
        return out

    # ---- writing

    def put_model(self, record: ModelRecord, checkpoint: bytes | os.PathLike[str] | None = None) -> str:
        """Store a model: its checkpoint first, then ``model.json`` (which makes it count).

        Parameters
        ----------
        record : ModelRecord
        checkpoint : bytes or path, optional
            The checkpoint's bytes (e.g. from ``torch.save`` into a ``BytesIO``) or a file to copy;
            it is written atomically as ``models/<key>/checkpoint.pt``.

        Returns
        -------
        str
            The model key.
        """
        if not isinstance(record, ModelRecord):
            raise DataError(f"put_model takes a ModelRecord, got {type(record).__name__}")
        key = record.key
        folder = self.model_dir(key)
        created = not folder.exists()
        if checkpoint is not None:
            data = checkpoint if isinstance(checkpoint, bytes) else Path(checkpoint).read_bytes()
            atomic_write_bytes(folder / CHECKPOINT_NAME, data)
        atomic_write_bytes(folder / "model.json", _json_bytes(record.as_dict()))
        self._with_index(lambda con: self._index_written(con, "models", key, created), sync=False)
        return key

    def put_cell(self, record: CellRecord, crops: Mapping[str, np.ndarray] | None = None) -> str:
        """Store a cell: its crops first, then ``cell.json`` (which makes it count).

        Parameters
        ----------
        record : CellRecord
            For ``trained`` and ``official`` cells the model must already be in the store, and the
            cell's train_spec, scale, model, model_config, seed and recipe must equal the model's.
        crops : mapping of str to ndarray, optional
            ``crop_name(image, role) -> uint8 array`` of shape (H, W) or (H, W, 3), each side at
            most :data:`MAX_CROP_SIDE`, at most :data:`MAX_CROPS` of them; ``image`` must be one of
            the record's images. Written as ``crops/<name>.png``.

        Returns
        -------
        str
            The cell key.
        """
        if not isinstance(record, CellRecord):
            raise DataError(f"put_cell takes a CellRecord, got {type(record).__name__}")
        if record.model_key is not None:
            self._check_matches_model(record)
        pngs = self._encode_crops(record, crops or {})
        key = record.key
        folder = self.cell_dir(key)
        created = not folder.exists()
        for name, png in pngs.items():
            atomic_write_bytes(folder / "crops" / f"{name}.png", png)
        atomic_write_bytes(folder / "cell.json", _json_bytes(record.as_dict()))
        self._with_index(lambda con: self._index_written(con, "cells", key, created), sync=False)
        return key

    def _check_matches_model(self, record: CellRecord) -> None:
        model = self._read("models", record.model_key)  # type: ignore[arg-type]
        if model is None:
            raise DataError(f"the model {record.model_key} of this {record.kind} cell is not in {self.root}; put_model it first")
        assert isinstance(model, ModelRecord)
        for name in ("kind", "train_spec", "scale", "model", "model_config", "seed", "recipe"):
            if getattr(record, name) != getattr(model, name):
                raise DataError(f"cell {name} {getattr(record, name)!r} differs from its model's {getattr(model, name)!r}")

    @staticmethod
    def _encode_crops(record: CellRecord, crops: Mapping[str, np.ndarray]) -> dict[str, bytes]:
        from PIL import Image

        if len(crops) > MAX_CROPS:
            raise DataError(f"{len(crops)} crops given; a cell keeps at most {MAX_CROPS}")
        images = {im.name for im in record.images}
        out = {}
        for name, array in crops.items():
            image, sep, role = str(name).rpartition("--")
            if not sep or image not in images or role not in CROP_ROLES:
                raise DataError(f"crop name {name!r} must be crop_name(image, role) with an image of the cell "
                                f"({', '.join(sorted(images))}) and a role in {', '.join(CROP_ROLES)}")
            a = np.asarray(array)
            if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
                raise DataError(f"crop {name!r} must be a uint8 array (H, W) or (H, W, 3), got {a.dtype} {a.shape}")
            if max(a.shape[:2]) > MAX_CROP_SIDE or min(a.shape[:2]) < 1:
                raise DataError(f"crop {name!r} is {a.shape[1]}x{a.shape[0]}; crops are 1 to {MAX_CROP_SIDE} pixels a side")
            buf = io.BytesIO()
            Image.fromarray(a).save(buf, format="PNG")
            out[name] = buf.getvalue()
        return out

    # ---- housekeeping

    def _clean_temps(self) -> None:
        now = time.time()
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if d != ".locks"]
            for name in files:
                path = Path(folder) / name
                if _is_stale_temp(path, now):
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()

    # ---- the index

    def _listing_stamp(self, table: str) -> tuple[int, int]:
        """``(mtime_ns, st_nlink)`` of the folder ``table``: a key folder added or removed changes
        both (the link count exactly, on file systems that count subfolders in it)."""
        st = os.stat(self.root / table)
        return st.st_mtime_ns, st.st_nlink

    @staticmethod
    def _ensure_schema(con: sqlite3.Connection) -> bool:
        """Create the index tables when the index is new or of another version; whether it did."""
        if con.execute("PRAGMA user_version").fetchone()[0] == INDEX_VERSION:
            return False
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            con.execute(f'DROP TABLE "{table}"')
        con.executescript(_INDEX_SCHEMA)
        con.execute(f"PRAGMA user_version = {INDEX_VERSION}")
        return True

    def _sync(self, con: sqlite3.Connection, *, full: bool = False) -> None:
        """Bring the index in line with the folders (the caller holds the index lock).

        A table whose folder listing changed since the index last saw it (:meth:`_listing_stamp`) is
        scanned: every key folder's JSON is compared by size and mtime. Otherwise only its pending
        folders (listed, but without their JSON yet) are looked at again, so a query costs a few
        ``stat`` calls however many records there are. ``full`` scans both tables.
        """
        full = self._ensure_schema(con) or full
        for table in ("models", "cells"):
            stamp = self._listing_stamp(table)
            seen = con.execute("SELECT mtime_ns, nlink FROM listings WHERE tbl = ?", (table,)).fetchone()
            if full or seen is None or tuple(seen) != stamp:
                self._scan_table(con, table, stamp)
                continue
            for (key,) in con.execute("SELECT key FROM pending WHERE tbl = ?", (table,)).fetchall():
                if self._refresh(con, table, key) or not self._key_dir(table, key).is_dir():
                    con.execute("DELETE FROM pending WHERE tbl = ? AND key = ?", (table, key))

    def _scan_table(self, con: sqlite3.Connection, table: str, stamp: tuple[int, int]) -> None:
        """Index every key folder of ``table``; ``stamp`` is its listing stamp taken before the scan,
        so a change during the scan makes the next sync scan again."""
        listed = set()
        pending = []
        with os.scandir(self.root / table) as entries:
            for entry in entries:
                if _KEY_RE.fullmatch(entry.name):
                    listed.add(entry.name)
                    if not self._refresh(con, table, entry.name):
                        pending.append((table, entry.name))
        for (key,) in con.execute("SELECT key FROM files WHERE tbl = ?", (table,)).fetchall():
            if key not in listed:
                self._drop_row(con, table, key)
                con.execute("DELETE FROM files WHERE tbl = ? AND key = ?", (table, key))
        con.execute("DELETE FROM pending WHERE tbl = ?", (table,))
        con.executemany("INSERT INTO pending VALUES (?, ?)", pending)
        con.execute("INSERT OR REPLACE INTO listings VALUES (?, ?, ?)", (table, *stamp))

    def _refresh(self, con: sqlite3.Connection, table: str, key: str) -> bool:
        """Bring the index row of one key folder in line with its JSON file; whether the file exists."""
        path = self._key_dir(table, key) / ("cell.json" if table == "cells" else "model.json")
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            self._drop_row(con, table, key)
            con.execute("DELETE FROM files WHERE tbl = ? AND key = ?", (table, key))
            return False
        stamp = (st.st_mtime_ns, st.st_size)
        known = con.execute("SELECT mtime_ns, size FROM files WHERE tbl = ? AND key = ?", (table, key)).fetchone()
        if known is not None and tuple(known) == stamp:
            return True
        self._drop_row(con, table, key)
        con.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", (table, key, *stamp))
        record = self._read_valid(table, key)
        if isinstance(record, CellRecord):
            self._insert_cell(con, record)
        elif isinstance(record, ModelRecord):
            con.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, record.kind, record.train_spec, record.scale, record.model, record.seed,
                         dict_label(record.recipe), json.dumps(record.as_dict())))
        return True

    def _index_written(self, con: sqlite3.Connection, table: str, key: str, created: bool) -> None:
        """Index the record this process just wrote, in place (the caller holds the index lock).

        When the listing changed by exactly this write's own folder (``created``: one more link, or
        nothing at all), the index takes the new listing stamp and this one row; any other change
        (another process's folder, a folder removed) makes :meth:`_sync` scan the table. The row is
        refreshed from the file either way.
        """
        seen = None if self._ensure_schema(con) else con.execute(
            "SELECT mtime_ns, nlink FROM listings WHERE tbl = ?", (table,)).fetchone()
        stamp = self._listing_stamp(table)
        if seen is not None and (stamp[1] == seen[1] + 1 if created else tuple(seen) == stamp):
            con.execute("INSERT OR REPLACE INTO listings VALUES (?, ?, ?)", (table, *stamp))
        self._sync(con)
        self._refresh(con, table, key)
        con.execute("DELETE FROM pending WHERE tbl = ? AND key = ?", (table, key))

    @staticmethod
    def _drop_row(con: sqlite3.Connection, table: str, key: str) -> None:
        con.execute(f"DELETE FROM {table} WHERE key = ?", (key,))
        if table == "cells":
            con.execute("DELETE FROM images WHERE cell = ?", (key,))

    @staticmethod
    def _insert_cell(con: sqlite3.Connection, r: CellRecord) -> None:
        key = r.key
        con.execute("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (key, r.kind, r.eval_set, dict_label(r.protocol), r.scale, r.space, r.model, r.seed, dict_label(r.recipe),
                     r.train_spec, r.eval_spec, r.model_key, json.dumps(r.as_dict())))
        con.executemany("INSERT INTO images VALUES (?, ?, ?, ?, ?, ?)",
                        [(key, im.name, *(getattr(im, m) for m in METRICS)) for im in r.images])

    def _discard_index(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.index_path}{suffix}").unlink()

    def _with_index(self, query: Any, *, full: bool = False, sync: bool = True) -> Any:
        """Run ``query(connection)`` on the index synchronised with the folders (:meth:`_sync`; ``full``:
        every folder; ``sync=False``: the query synchronises itself), rebuilding a broken index."""
        with self._locked_index():
            for attempt in (1, 2):
                try:
                    con = sqlite3.connect(self.index_path)
                    try:
                        with con:
                            if sync:
                                self._sync(con, full=full)
                            return query(con)
                    finally:
                        con.close()
                except sqlite3.DatabaseError as exc:
                    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                        raise DataError(f"{self.index_path} is locked by a program outside sr-audit; close it and retry") from None
                    if attempt == 2:
                        raise DataError(f"cannot rebuild {self.index_path}: {exc}; check the disk and permissions") from None
                    warnings.warn(f"{self.index_path} is unreadable ({exc}); rebuilding it from the folders", stacklevel=3)
                    self._discard_index()
        raise AssertionError("unreachable")

    def rebuild_index(self) -> None:
        """Delete the index and build it again from the folders."""
        with self._locked_index():
            self._discard_index()
        self._with_index(lambda con: None)

    # ---- queries

    def cell_records(self) -> list[CellRecord]:
        """Every finished cell, in table order."""
        rows = self._with_index(lambda con: con.execute(f"SELECT json FROM cells c ORDER BY {_ORDER}").fetchall())
        return [CellRecord.from_dict(json.loads(j)) for (j,) in rows]

    def model_records(self) -> list[ModelRecord]:
        """Every finished model, ordered by train spec, scale, model, seed, recipe."""
        rows = self._with_index(lambda con: con.execute(
            "SELECT json FROM models ORDER BY kind DESC, train_spec, scale, model, seed, recipe").fetchall())
        return [ModelRecord.from_dict(json.loads(j)) for (j,) in rows]

    def cells(self) -> pd.DataFrame:
        """Long format: one row per cell and image.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`CELL_COLUMNS` (``protocol`` and ``recipe`` are the dicts' names),
            ``image``, then :data:`METRICS`. ``seed`` is a nullable integer; ``train_spec``,
            ``model_key`` and ``recipe`` are None where they do not apply.
        """
        cols = ", ".join(f"c.{c}" for c in CELL_COLUMNS)
        sql = (f"SELECT {cols}, i.name AS image, {', '.join('i.' + m for m in METRICS)} "
               f"FROM cells c JOIN images i ON i.cell = c.key ORDER BY {_ORDER}, i.name")
        frame = self._with_index(lambda con: pd.read_sql_query(sql, con))
        frame["seed"] = frame["seed"].astype("Int64")
        frame["scale"] = frame["scale"].astype("int64")
        return frame

    def means(self) -> pd.DataFrame:
        """One row per cell: :data:`CELL_COLUMNS`, the mean of each metric over images, ``n_images``."""
        long = self.cells()
        grouped = long.groupby("key", sort=False)
        means = grouped[list(METRICS)].mean()
        means["n_images"] = grouped.size()
        ids = long.drop_duplicates("key").set_index("key")[[c for c in CELL_COLUMNS if c != "key"]]
        return ids.join(means).reset_index()
