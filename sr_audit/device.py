"""Where torch computes: :func:`resolve_device` turns a user string into a checked ``torch.device``.

Accepted names (:data:`DEVICE_NAMES`): ``auto`` (the first CUDA device when CUDA is available, else
the CPU), ``cpu``, ``cuda`` (the current CUDA device) and ``cuda:N``. Asking for CUDA where it is not
available is an error, never a silent fall-back to the CPU.
"""
from __future__ import annotations

import re

import torch

from sr_audit.errors import SpecError

#: Device names users write, and what each means.
DEVICE_NAMES: dict[str, str] = {
    "auto": "cuda:0 when torch.cuda.is_available(), else cpu",
    "cpu": "the CPU",
    "cuda": "the current CUDA device",
    "cuda:N": "CUDA device number N (0-based)",
}

_CUDA_RE = re.compile(r"^cuda(?::(?P<index>\d+))?$")


def resolve_device(name: str = "auto") -> torch.device:
    """A ``torch.device`` for ``name``, checked against what this machine has.

    >>> resolve_device("cpu")
    device(type='cpu')

    Raises
    ------
    SpecError
        An unknown name (the message lists :data:`DEVICE_NAMES`), CUDA asked for but not
        available, or a CUDA index beyond the devices present.
    """
    if not isinstance(name, str):
        raise SpecError(f"device must be a string ({', '.join(DEVICE_NAMES)}), got {name!r}")
    text = name.strip().lower()
    if text == "auto":
        return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
    if text == "cpu":
        return torch.device("cpu")
    m = _CUDA_RE.match(text)
    if m is None:
        raise SpecError(f"unknown device {name!r}; use one of: {', '.join(DEVICE_NAMES)}")
    if not torch.cuda.is_available():
        build = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA device is visible"
        raise SpecError(f"device {name!r} asked for, but CUDA is not available ({build}); use --device cpu or auto")
    if m["index"] is None:
        return torch.device("cuda")
    index, count = int(m["index"]), torch.cuda.device_count()
    if index >= count:
        raise SpecError(f"device {name!r} does not exist: {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
    return torch.device(f"cuda:{index}")
