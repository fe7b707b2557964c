"""Process-wide tuning of the C allocator for training on the CPU: :func:`retain_freed_memory`.

Why
---
A training step on the CPU allocates and frees the same large blocks at every step: SRCNN's
activations and their gradients for a batch of 128 windows are about 20 MB each. By default
glibc's ``malloc`` serves such blocks with fresh ``mmap`` pages above a threshold that it adjusts
on its own, and returns freed memory at the top of its heap to the system; either way the next step
writes to new pages, and the kernel's page faults (each 4 KiB page zero-filled on first touch) then
cost more than the memory-bound operations that touch them (ReLU and its gradient). Setting the
two thresholds (:data:`MMAP_THRESHOLD`, :data:`TRIM_THRESHOLD`) keeps those blocks in the heap,
reused step after step. On the 2-core dev VM that makes batch-128 training 1.6-1.7x faster
(benchmarks/README.md, "Training throughput"). The price: the process keeps up to
:data:`TRIM_THRESHOLD` bytes of freed memory instead of handing them back.

Only glibc (Linux) has ``mallopt``; elsewhere :func:`retain_freed_memory` does nothing and returns
False. The setting lasts for the life of the process and affects all of it, so no library function
applies it: the programs that own their process opt in (``sr-audit train`` and ``sr-audit matrix``
when they train on the CPU, and the training benchmarks), and :func:`sr_audit.train.train_model`
only records whether it is in effect (:func:`freed_memory_retained`). Worker processes that the
matrix spawns (one per device) train on their own device and are not tuned.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

#: Blocks up to this size come from malloc's heap rather than from fresh ``mmap`` pages (32 MiB,
#: the largest value every glibc accepts).
MMAP_THRESHOLD = 32 * 2**20

#: Freed memory at the top of the heap is returned to the system only beyond this much.
TRIM_THRESHOLD = 256 * 2**20

# mallopt parameter numbers, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@functools.cache
def retain_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed blocks for reuse (once per process); whether it took effect.

    Returns
    -------
    bool
        True when both thresholds were set; False without glibc (macOS, Windows, musl) or when
        ``mallopt`` refused a value.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not a C library with mallopt (not glibc)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def freed_memory_retained() -> bool:
    """Whether :func:`retain_freed_memory` has run in this process and took effect (it is not run here)."""
    return retain_freed_memory.cache_info().currsize > 0 and retain_freed_memory()
