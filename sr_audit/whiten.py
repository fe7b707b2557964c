"""A whitened conv1 while training: steps in decorrelated input coordinates, saved as a plain SRCNN.

Why
---
conv1 reads ``C x f1 x f1`` input patches (81 values for 9-1-5 on Y). Neighbouring pixels of a
bicubic-upscaled image are nearly equal, so the patches' second moment ``M`` has a few large
eigenvalues (smooth patterns) and many tiny ones (fine detail, which the upscaling removed): an
ill-conditioned problem in which a gradient step moves conv1 fast along the smooth directions and
hardly at all along the detail ones, which are the ones super-resolution needs. Adam's per-weight
scaling does not help, since the directions are combinations of weights, not single weights.

What
----
With a recipe's ``whiten = e`` (> 0), training keeps conv1's weight as ``W = V Z`` (each filter a
row of ``C f1²`` values), ``V`` the trained parameter and ``Z = (M + e·mean(λ) I)^(-1/2)`` fixed,
``λ`` the eigenvalues of ``M`` (:func:`whitening_matrix`). ``V`` then sees whitened inputs (second
moment about ``I`` in the directions far above the floor ``e·mean(λ)``): gradient descent
preconditioned by the floored ``M``'s inverse, as in K-FAC for one layer with fixed input
statistics. The initialisation draws ``V`` (He init), not ``W``. With a floor well above the mean
eigenvalue (``sprint``: 10) only the few dominant, smooth directions are scaled down and the rest are
left about as they are (times one constant): in effect a damping of the smooth directions. Full
whitening (floors of 0.001 to 0.01) trained *worse* than none, since the tiny directions then take
steps as large as the smooth ones (benchmarks/README.md, "A whitened conv1").

``M`` is measured once, before the first step, from the training inputs themselves (centred when the
recipe centres; :func:`patch_moment`), deterministically, so a resumed run rebuilds the same ``Z``.
The rows of an identity path (:mod:`sr_audit.init`) pass through unchanged (``W = V`` there), so the
path stays exact.

What is saved
-------------
The model itself always holds ``W`` (:class:`WhitenedConv1`: the optimizer updates ``V`` and the
product is written back after every step), so what is scored and saved is a plain SRCNN, and
nothing changes at inference.
"""
from __future__ import annotations

import torch
from torch import nn

from sr_audit.errors import DataError
from sr_audit.model import SRCNN

#: Positions per window side sampled by :func:`patch_moment` (patches on a regular grid).
MOMENT_GRID = 3

#: At most this many windows are read by :func:`patch_moment` (evenly spaced in the set).
MOMENT_WINDOWS = 8192


def patch_moment(inputs: torch.Tensor, size: int, shift: torch.Tensor | None = None) -> torch.Tensor:
    """Second moment (float64, ``(C size², C size²)``) of ``size x size`` patches of ``inputs``.

    Parameters
    ----------
    inputs : Tensor, shape (N, C, H, W)
        Training input windows (or crops).
    size : int
        Patch side (conv1's filter size).
    shift : Tensor, optional
        Subtracted from the inputs first (the recipe's centring, shape broadcastable to ``inputs``).

    The patches are those at :data:`MOMENT_GRID` evenly spaced positions per side of at most
    :data:`MOMENT_WINDOWS` evenly spaced windows, so the estimate is deterministic and costs well
    under a second.
    """
    inputs = inputs[:: max(1, -(-len(inputs) // MOMENT_WINDOWS))]
    n, c, h, w = inputs.shape
    if h < size or w < size:
        raise DataError(f"training windows of {h}x{w} are smaller than conv1's {size}x{size} filter")
    rows = torch.linspace(0, h - size, MOMENT_GRID).round().long().unique().tolist()
    cols = torch.linspace(0, w - size, MOMENT_GRID).round().long().unique().tolist()
    total = torch.zeros(c * size * size, c * size * size, dtype=torch.float64, device=inputs.device)
    count = 0
    for r in rows:
        for q in cols:
            patch = inputs[:, :, r : r + size, q : q + size].double()
            if shift is not None:
                patch = patch - shift.double()
            flat = patch.reshape(n, -1)
            total += flat.T @ flat
            count += n
    return total / count


def whitening_matrix(moment: torch.Tensor, floor: float) -> torch.Tensor:
    """``(M + floor·mean(λ) I)^(-1/2)`` of a symmetric second moment ``M`` (module notes), float64."""
    values, vectors = torch.linalg.eigh(moment.double())
    values = values.clamp_min(0.0) + floor * float(values.clamp_min(0.0).mean())
    return (vectors * values.rsqrt()) @ vectors.T


class WhitenedConv1:
    """conv1 of ``model`` trained as ``W = V Z`` (module notes); ``model.conv1.weight`` always holds ``W``.

    The optimizer updates :attr:`v` instead of ``conv1.weight``: after every backward pass
    :meth:`pull_gradient` turns ``W``'s gradient into ``V``'s (``Z`` is symmetric, so it is the same
    product), and after every step :meth:`push` writes ``V Z`` back into the model, which is thus a
    plain SRCNN at every moment (scored, averaged and saved as it is). The last ``keep`` filters (an
    identity path's) pass through: ``W = V`` there.

    Parameters
    ----------
    model : SRCNN
        Its current conv1 weight is the initial ``V`` (drawn in whitened coordinates).
    z : Tensor, shape (C f1², C f1²)
        :func:`whitening_matrix`.
    keep : int
        Filters passed through unchanged.
    """

    def __init__(self, model: SRCNN, z: torch.Tensor, keep: int) -> None:
        weight = model.conv1.weight
        self.model, self.rows = model, model.config.n1 - keep
        self.z = z.to(weight.device, weight.dtype)
        self.v = nn.Parameter(weight.detach().clone())
        self.push()

    def _map(self, tensor: torch.Tensor) -> torch.Tensor:
        flat = tensor.flatten(1)
        return torch.cat((flat[: self.rows] @ self.z, flat[self.rows :])).view_as(tensor)

    def pull_gradient(self) -> None:
        """``V``'s gradient from ``W``'s (call after ``backward``); ``W``'s is cleared (no optimizer sees it)."""
        weight = self.model.conv1.weight
        self.v.grad = None if weight.grad is None else self._map(weight.grad)
        weight.grad = None

    def push(self) -> None:
        """Write ``V Z`` into ``model.conv1.weight`` (call after every optimizer step)."""
        with torch.no_grad():
            self.model.conv1.weight.copy_(self._map(self.v))
