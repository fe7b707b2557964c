"""Structural initialisations of a plain SRCNN: the identity path (:data:`SKIPS`).

An identity path inside a plain SRCNN
-------------------------------------
Residual networks learn ``HR - input`` and add the input back; that sum is not a plain SRCNN.
Instead, an SRCNN can carry its own input through itself: for each input channel ``c``, one map
of conv1 (the last ``C`` rows) is the centre pixel of channel ``c`` plus an offset ``b``
(weight 1 at the centre tap, bias ``b``), one map of conv2 (its last ``C`` rows) copies that map
(weight 1, bias 0), and conv3 adds it back at its centre tap with ``-b`` in its bias. A ReLU is
the identity on non-negative values, so for every input pixel ``x >= -b`` this path computes
exactly ``x`` and the network is "the input plus what the other maps compute": residual learning
in a network that stays a plain SRCNN at every step, with nothing to fold afterwards. Inputs are
in [0, 1] (or centred on their mean, :func:`sr_audit.model.fold_input_mean`), bicubic overshoot
included far above ``-1``, so :data:`SKIP_OFFSET` = 1 keeps the path exact. It is exact with any
padding too: only centre taps read the carried maps, and zero padding of the map ``x + b`` is never
read by them.

With ``skip="identity"`` the path is only where training starts (every weight stays trainable);
with ``skip="identity-frozen"`` its weights (the carried rows of conv1 and conv2, the carried
columns of conv3) are put back after every optimizer step (:meth:`IdentityPath.restore`), so the
other maps learn the residual; conv3's bias stays trainable. Both use ``C`` of the ``n1`` and
``n2`` maps for the path.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from sr_audit.errors import SpecError
from sr_audit.model import SRCNN

#: Identity paths: name -> what a recipe's ``skip`` does.
SKIPS: dict[str, str] = {
    "none": "no identity path (paper)",
    "identity": "the last C maps of conv1 and conv2 start as a copy of the input's centre pixel, added back by "
    "conv3, so training starts from the bicubic input; all weights trainable",
    "identity-frozen": "the same path, kept fixed during training (restored after every step): the other maps "
    "learn the residual HR - input",
}

#: Offset ``b`` carried through the ReLUs: the path is exact for input values >= -b.
SKIP_OFFSET = 1.0


@dataclass(frozen=True)
class IdentityPath:
    """The identity path of an SRCNN's shape (module notes).

    Attributes
    ----------
    channels : int
        Image channels ``C`` (1 or 3): the path uses the last ``C`` maps of conv1 and of conv2.
    n1, n2 : int
        Maps of conv1 and conv2; each must exceed ``channels``.
    f1, f2, f3 : int
        Filter sizes (odd).
    offset : float
        ``b`` of the module notes (:data:`SKIP_OFFSET`).
    """

    channels: int
    n1: int
    n2: int
    f1: int
    f2: int
    f3: int
    offset: float = SKIP_OFFSET

    def __post_init__(self) -> None:
        if self.n1 <= self.channels or self.n2 <= self.channels:
            raise SpecError(
                f"an identity path needs more than {self.channels} maps in conv1 and conv2, got n1={self.n1}, n2={self.n2}"
            )

    @classmethod
    def of(cls, model: SRCNN, offset: float = SKIP_OFFSET) -> "IdentityPath":
        """The path of ``model``'s configuration."""
        c = model.config
        return cls(c.channels, c.n1, c.n2, c.f1, c.f2, c.f3, offset)

    def weights(self, dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
        """The path's fixed entries: conv1 rows (weights, biases), conv2 rows, conv3 columns.

        Keys ``w1`` (C, C, f1, f1), ``b1`` (C,), ``w2`` (C, n1, f2, f2), ``b2`` (C,) and ``w3``
        (C, C, f3, f3): the rows ``n - C ..`` of conv1 and conv2 and the columns ``n2 - C ..`` of
        conv3.
        """
        c = self.channels
        eye = torch.arange(c)
        w1 = torch.zeros(c, c, self.f1, self.f1, dtype=dtype)
        w1[eye, eye, self.f1 // 2, self.f1 // 2] = 1.0
        w2 = torch.zeros(c, self.n1, self.f2, self.f2, dtype=dtype)
        w2[eye, self.n1 - c + eye, self.f2 // 2, self.f2 // 2] = 1.0
        w3 = torch.zeros(c, c, self.f3, self.f3, dtype=dtype)
        w3[eye, eye, self.f3 // 2, self.f3 // 2] = 1.0
        return {
            "w1": w1,
            "b1": torch.full((c,), self.offset, dtype=dtype),
            "w2": w2,
            "b2": torch.zeros(c, dtype=dtype),
            "w3": w3,
        }

    def install(self, model: SRCNN) -> None:
        """Write the path into ``model`` (in place) and subtract ``offset`` from conv3's bias."""
        self.restore(model)
        with torch.no_grad():
            model.conv3.bias.sub_(self.offset)

    def restore(self, model: SRCNN, weights: dict[str, torch.Tensor] | None = None) -> None:
        """Put the path's fixed entries back into ``model``, in place; conv3's bias is left alone.

        ``weights`` are :meth:`weights` (computed when not given; pass them, on the model's device,
        when restoring after every step).
        """
        c, w = self.channels, weights if weights is not None else self.weights()
        with torch.no_grad():
            model.conv1.weight[self.n1 - c :].copy_(w["w1"])
            model.conv1.bias[self.n1 - c :].copy_(w["b1"])
            model.conv2.weight[self.n2 - c :].copy_(w["w2"])
            model.conv2.bias[self.n2 - c :].copy_(w["b2"])
            model.conv3.weight[:, self.n2 - c :].copy_(w["w3"])

