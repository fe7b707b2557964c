"""The one copy of each small file and JSON helper every layer uses.

Nothing here imports beyond :mod:`sr_audit.errors`, so the backends and every layer above them may
use it:

- :func:`atomic_write_bytes`: a file is replaced whole or not at all (temporary file in the same
  folder, fsync, :func:`os.replace`, folder fsync).
- :func:`plain_json`, :func:`canonical_json`, :func:`content_hash`: checked plain JSON data, its
  canonical text and the SHA-256 of that text (the content keys of the matrix store).
- :func:`json_number`, :func:`json_ready`: the rule for numbers JSON has no literal for, used
  wherever JSON is written: ``inf`` is the string ``"inf"``, ``-inf`` is ``"-inf"``, NaN is
  ``null`` (a missing value).
- :func:`installed_version`: the version of an installed distribution; :func:`cpu_model`: the
  CPU's model name (what benchmarks and the matrix's run records print of the machine).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import secrets
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sr_audit.errors import DataError

#: First 8 hex digits of the SHA-256 of the host name: part of every temporary file's name, so a
#: clean-up can tell this host's files (whose process it can check) from another host's.
HOST_TAG = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never part.

    The bytes go to a hidden temporary file in the same folder, named
    ``.<name>.<HOST_TAG>.<pid>.<8 hex>.tmp``, are fsynced, renamed over ``path`` with
    :func:`os.replace`, and the folder is fsynced. Parent folders are created. The file gets the
    permissions a plain ``open(path, "wb")`` would give.

    Parameters
    ----------
    path : str or PathLike
        Target file.
    data : bytes
        Its whole new content.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     atomic_write_bytes(Path(d) / "sub" / "a.txt", b"x")
    ...     sorted(p.name for p in (Path(d) / "sub").iterdir())
    ['a.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{HOST_TAG}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def plain_json(value: Any, where: str) -> Any:
    """``value`` as plain JSON types (dict with str keys, list, str, int, float, bool, None).

    numpy scalars become Python numbers and tuples lists.

    Raises
    ------
    DataError
        A non-finite number, a non-string key or a type JSON cannot hold; ``where`` names it.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DataError(f"{where} is {value}; key inputs and record fields must be finite numbers")
        return value
    if isinstance(value, np.generic):
        return plain_json(value.item(), where)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise DataError(f"{where} has a non-string key {k!r}; use string keys")
            out[k] = plain_json(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [plain_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise DataError(f"{where} is a {type(value).__name__}, which JSON cannot hold; pass plain str/int/float/bool/list/dict")


def canonical_json(value: Any) -> str:
    """Canonical JSON text of plain data: sorted keys, no spaces, non-ASCII kept, NaN refused.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, "é"]})
    '{"a":[1.5,"é"],"b":1}'
    """
    return json.dumps(plain_json(value, "value"), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(value: Any) -> str:
    """SHA-256 (64 lowercase hex digits) of the UTF-8 bytes of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def json_number(value: Any) -> Any:
    """``value`` with non-finite floats spelt the JSON way of this package; other values unchanged.

    Examples
    --------
    >>> [json_number(v) for v in (1.5, float("inf"), float("-inf"), float("nan"), "x", None)]
    [1.5, 'inf', '-inf', None, 'x', None]
    """
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return float(value)
    return value


def json_ready(value: Any) -> Any:
    """``value`` with :func:`json_number` applied through dicts, lists and tuples (tuples become lists)."""
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return json_number(value)


def installed_version(distribution: str) -> str | None:
    """Version of the installed ``distribution`` (a pip name, e.g. ``"pillow"``), None when absent."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (falls back to ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
