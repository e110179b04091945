import torch
import torch.nn.functional as F
from torch import nn


class PowerCurveNet(nn.Module):
    """Maps wind speed, direction (as sine and cosine) and air density to the turbine's output,
    as a fraction of its rated power."""

    def __init__(self, hidden=48, delta=0.05):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(4, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 1),
        )
        self.delta = delta

    def forward(self, conditions):
        return torch.sigmoid(self.body(conditions)).squeeze(-1)

    def loss(self, conditions, power):
        # Huber: anemometer glitches give a few readings far off the curve
        return F.huber_loss(self(conditions), power, delta=self.delta)
