"""SRCNN (Dong et al., ECCV 2014, doi:10.1007/978-3-319-10593-2_13; TPAMI 2016,
doi:10.1109/TPAMI.2015.2439281): three convolutions, ReLU after the first two.

The architecture and the padding policy are data (:class:`SRCNNConfig`):

* ``valid`` — no padding; the output is ``f1 + f2 + f3 - 3`` pixels smaller than the input in each
  dimension (how the paper trained: 33x33 inputs give 21x21 outputs for 9-1-5).
* ``same-replicate`` — each layer pads its input by replicating the border, so the output has the
  input's size; this is MATLAB ``imfilter(x, w, 'same', 'replicate')``, how the authors ran their
  released weights.
* ``same-zero`` — each layer zero-pads (``nn.Conv2d(padding=f // 2)``), as most reimplementations do.

Convolutions are correlations (as in both MATLAB ``imfilter`` and ``torch.nn.Conv2d``). Inputs and
outputs are float tensors of shape (N, C, H, W) in [0, 1].
"""
from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from sr_audit.errors import SpecError

PADDINGS: dict[str, str] = {
    "valid": "no padding; output shrinks by f1 + f2 + f3 - 3 (paper training)",
    "same-replicate": "replicate-pad each layer's input by f // 2 (authors' MATLAB inference, imfilter 'replicate')",
    "same-zero": "zero-pad each layer's input by f // 2 (common reimplementations)",
}


@dataclass(frozen=True)
class SRCNNConfig:
    """Architecture of one SRCNN.

    Attributes
    ----------
    f1, f2, f3 : int
        Odd filter sizes of the three layers (paper: 9-1-5, 9-3-5, 9-5-5).
    n1, n2 : int
        Feature maps after layers 1 and 2 (paper: 64, 32).
    channels : int
        1 for the Y channel (paper), 3 for RGB.
    padding : str
        Key of :data:`PADDINGS`.
    """

    f1: int = 9
    f2: int = 1
    f3: int = 5
    n1: int = 64
    n2: int = 32
    channels: int = 1
    padding: str = "same-replicate"

    def __post_init__(self) -> None:
        for name in ("f1", "f2", "f3"):
            f = getattr(self, name)
            if not isinstance(f, int) or f < 1 or f % 2 == 0:
                raise SpecError(f"SRCNN {name} must be a positive odd integer, got {f!r}")
        for name in ("n1", "n2"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise SpecError(f"SRCNN {name} must be a positive integer, got {getattr(self, name)!r}")
        if self.channels not in (1, 3):
            raise SpecError(f"SRCNN channels must be 1 (Y) or 3 (RGB), got {self.channels!r}")
        if self.padding not in PADDINGS:
            raise SpecError(f"SRCNN padding {self.padding!r} is not one of: {', '.join(PADDINGS)}")

    @classmethod
    def from_name(cls, name: str, **overrides: Any) -> "SRCNNConfig":
        """Config from ``"9-1-5"``-style filter sizes plus keyword overrides.

        >>> SRCNNConfig.from_name("9-5-5", channels=3).f2
        5
        """
        m = re.fullmatch(r"(\d+)-(\d+)-(\d+)", name.strip())
        if m is None:
            raise SpecError(f"model name {name!r} must be filter sizes like 9-1-5, 9-3-5 or 9-5-5")
        return cls(f1=int(m[1]), f2=int(m[2]), f3=int(m[3]), **overrides)

    @property
    def name(self) -> str:
        return f"{self.f1}-{self.f2}-{self.f3}"

    @property
    def receptive_field(self) -> int:
        """Input pixels seen by one output pixel, per dimension: f1 + f2 + f3 - 2."""
        return self.f1 + self.f2 + self.f3 - 2

    @property
    def shrink(self) -> int:
        """Pixels lost per dimension with ``valid`` padding (0 otherwise)."""
        return self.receptive_field - 1 if self.padding == "valid" else 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SRCNN(nn.Module):
    """The three-layer network of :class:`SRCNNConfig`."""

    def __init__(self, config: SRCNNConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.conv1 = nn.Conv2d(c.channels, c.n1, c.f1)
        self.conv2 = nn.Conv2d(c.n1, c.n2, c.f2)
        self.conv3 = nn.Conv2d(c.n2, c.channels, c.f3)

    def layer(self, conv: nn.Conv2d, x: torch.Tensor, weight: torch.Tensor | None = None,
              bias: torch.Tensor | None = None) -> torch.Tensor:
        """``conv`` on ``x`` with the model's padding; ``weight`` and ``bias`` replace ``conv``'s when given."""
        p = conv.kernel_size[0] // 2
        if p and self.config.padding == "same-replicate":
            x = F.pad(x, (p, p, p, p), mode="replicate")
        elif p and self.config.padding == "same-zero":
            x = F.pad(x, (p, p, p, p))
        if weight is None and bias is None:
            return conv(x)
        return F.conv2d(x, conv.weight if weight is None else weight, conv.bias if bias is None else bias)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """The maps conv3 reads: ``relu(conv2(relu(conv1(x))))``."""
        return F.relu(self.layer(self.conv2, F.relu(self.layer(self.conv1, x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer(self.conv3, self.hidden(x))


def fold_input_mean(model: SRCNN, mean: Sequence[float]) -> SRCNN:
    """A copy of ``model`` (same dtype and device) that computes on raw inputs what ``model`` computes on centred ones.

    ``model`` was trained to map ``x - mean`` to ``y - mean`` (``mean`` per channel, the recipe's
    ``centre``). Since ``conv1(x - m) = conv1(x) - sum_c m_c * sum(w1[:, c])``, subtracting that sum
    from conv1's bias and adding ``m`` to conv3's bias gives a plain SRCNN with
    ``copy(x) = model(x - m) + m``. Exact (up to float rounding) for ``valid`` and
    ``same-replicate`` padding, where padding commutes with the shift.

    Raises
    ------
    SpecError
        ``same-zero`` padding, or a mean with the wrong number of channels.
    """
    if model.config.padding == "same-zero":
        raise SpecError("a mean cannot be folded into a zero-padded SRCNN exactly; use valid or same-replicate padding")
    m = torch.as_tensor(list(mean), dtype=torch.float64)
    if m.shape != (model.config.channels,):
        raise SpecError(f"input mean needs {model.config.channels} values (one per channel), got {len(m)}")
    folded = copy.deepcopy(model)
    m = m.to(model.conv1.bias.device)
    with torch.no_grad():
        w1 = folded.conv1.weight.double()
        folded.conv1.bias.copy_(folded.conv1.bias.double() - (w1 * m[None, :, None, None]).sum(dim=(1, 2, 3)))
        folded.conv3.bias.copy_(folded.conv3.bias.double() + m)
    return folded
