"""Training-sample augmentation: :data:`AUGMENTATIONS` and the vectorised :func:`dihedral` transform.

Why flips and rotations are exact for SR training
-------------------------------------------------
Every resize backend sr-audit ships uses a symmetric kernel, pixel centres symmetric about the
image centre and a border rule that treats all four sides alike, and training images are modcropped
to a multiple of the scale. Degradation therefore commutes with the eight symmetries of the square
(flips and rotations by multiples of 90°): the degraded window of a rotated image is the rotated
degraded window, up to the rounding of a backend that rounds to uint8 between its two passes (one
level at most; ``tests/test_augment.py`` checks every available backend). A rotated (input, target)
pair is thus a pair the degradation could have produced, and since training windows are square
with the target centred, one transform applies to both.

With ``augment="dihedral"`` a recipe's samples are every (window, orientation) pair: sample ``i``
of ``8 * N`` is window ``i mod N`` in orientation ``i // N`` (:func:`dihedral`), an epoch is one
pass over all ``8 * N`` and batches are drawn from one permutation of them, as without
augmentation. Nothing is stored eight times: the orientation is applied per batch by one gather.
"""
from __future__ import annotations

import functools

import torch

from sr_audit.errors import SpecError

#: Augmentations: name -> what a recipe's samples are.
AUGMENTATIONS: dict[str, str] = {
    "none": "the windows (or crops) as cut",
    "dihedral": "every window (or crop) in each of its 8 orientations (4 rotations by 90°, each also mirrored); "
    "an epoch is a pass over all 8",
}

#: Orientations per sample of each augmentation.
ORIENTATIONS: dict[str, int] = {"none": 1, "dihedral": 8}


@functools.cache
def _source_index(side: int, device: torch.device) -> torch.Tensor:
    """(8, side * side) flat source pixel of every output pixel for orientation ``t``: ``t % 4``
    quarter turns counter-clockwise, then a left-right mirror when ``t >= 4``."""
    grid = torch.arange(side * side).view(side, side)
    maps = []
    for t in range(8):
        turned = torch.rot90(grid, t % 4, (0, 1))
        maps.append((turned.flip(1) if t >= 4 else turned).reshape(-1))
    return torch.stack(maps).to(device)


def dihedral(planes: torch.Tensor, orientation: torch.Tensor) -> torch.Tensor:
    """Sample ``b`` of square ``planes`` (B, C, S, S) in orientation ``orientation[b]`` (0 … 7).

    Orientation ``t`` is ``torch.rot90(x, t % 4, (2, 3))``, mirrored left-right (``flip(3)``) when
    ``t >= 4``; 0 is the identity. One gather for the whole batch, in ``planes``' memory format.

    >>> x = torch.arange(4.0).view(1, 1, 2, 2)
    >>> dihedral(x, torch.tensor([1]))[0, 0].tolist()
    [[1.0, 3.0], [0.0, 2.0]]
    """
    if planes.ndim != 4 or planes.shape[2] != planes.shape[3]:
        raise SpecError(f"dihedral augmentation needs square (B, C, S, S) samples, got {tuple(planes.shape)}")
    b, c, side, _ = planes.shape
    source = _source_index(side, planes.device).index_select(0, orientation)  # (B, S*S)
    flat = planes.reshape(b, c, side * side)
    out = flat.gather(2, source[:, None, :].expand(b, c, side * side)).view(b, c, side, side)
    if planes.is_contiguous(memory_format=torch.channels_last):
        return out.contiguous(memory_format=torch.channels_last)
    return out
