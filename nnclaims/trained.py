"""Trained zoos for users' numeric checks: many copies of one MLP, trained at once, returned in float64.

>>> zoo = train_zoo(networks=2, widths=(4,), steps=3)
>>> zoo.forward(0).shape, float(zoo.losses["after"].max()) <= float(zoo.losses["before"].max())
(torch.Size([64, 3]), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Zoo", "train_zoo"]


@dataclass(frozen=True)
class Zoo:
    """A trained zoo: ``networks`` copies of one architecture stacked along the leading axis of every tensor.

    ``params`` (trained) and ``initial`` map ``nn.Sequential`` parameter names (``0.weight``, …) to stacked
    float64 tensors; ``X`` ``(networks, n, d)``; ``Y`` targets; ``losses`` before/after training;
    ``module`` the (meta-device) ``nn.Sequential`` for ``torch.func.functional_call``.
    """

    spec: Any
    module: Any
    initial: dict
    params: dict
    X: Any
    Y: Any
    losses: dict
    networks: int
    device: str

    def forward(self, k: int, x=None):
        """Outputs of network ``k`` on ``x`` (default: its own data), float64."""
        from torch.func import functional_call

        x = self.X[k] if x is None else x
        return functional_call(self.module, {n: v[k] for n, v in self.params.items()}, (x,))


def train_zoo(*, networks: int = 8, seed: int = 0, device: str = "cpu", depth: int | None = None,
              width: int | None = None, **spec_fields) -> Zoo:
    """Train a zoo (:mod:`nnclaims.numeric.deep`) from ``DeepSpec`` fields; ``depth``/``width`` set ``widths``."""
    from nnclaims.numeric.deep import DeepSpec, train_stack

    if depth is not None or width is not None:
        spec_fields["widths"] = (width or 16,) * (depth or 1)
    spec = DeepSpec(**spec_fields)
    module, p0, p1, X, Y, losses = train_stack(spec, networks, device, seed)
    return Zoo(spec, module, p0, p1, X, Y, losses, networks, device)
