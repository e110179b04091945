# Camera calibration from 3-D points and their detected pixels: the spec-sheet intrinsics are
# refined by a learned log-scale on the focal lengths (model.log_focal), together with a
# principal-point shift, a radial distortion coefficient and the rig translation.
import dataclasses

import torch
from torch import nn

torch.manual_seed(0)


@dataclasses.dataclass(frozen=True)
class Intrinsics:
    fx: torch.Tensor
    fy: torch.Tensor
    cx: torch.Tensor
    cy: torch.Tensor


def project(points, intr, k1):
    x, y = points[:, 0] / points[:, 2], points[:, 1] / points[:, 2]
    radial = 1 + k1 * (x * x + y * y)
    return torch.stack([intr.fx * x * radial + intr.cx, intr.fy * y * radial + intr.cy], dim=1)


class Calibration(nn.Module):
    def __init__(self, nominal):
        super().__init__()
        self.nominal = nominal
        self.log_focal = nn.Parameter(torch.zeros(2))
        self.principal_shift = nn.Parameter(torch.zeros(2))
        self.k1 = nn.Parameter(torch.zeros(()))
        self.translation = nn.Parameter(torch.zeros(3))

    def forward(self, points):
        intr = dataclasses.replace(self.nominal, cx=self.nominal.cx + self.principal_shift[0], cy=self.nominal.cy + self.principal_shift[1])
        intr = dataclasses.replace(intr, fx=intr.fx * self.log_focal[0].exp(), fy=intr.fy * self.log_focal[1].exp())
        return project(points + self.translation, intr, self.k1)


nominal = Intrinsics(*torch.tensor([500.0, 500.0, 320.0, 240.0]))
true = Intrinsics(*torch.tensor([538.0, 529.0, 326.0, 236.0]))
points = torch.rand(400, 3) * torch.tensor([2.0, 1.5, 3.0]) - torch.tensor([1.0, 0.75, -2.0])
true_shift = torch.tensor([0.03, -0.02, 0.05])
pixels = project(points + true_shift, true, torch.tensor(-0.04)) + 0.3 * torch.randn(400, 2)

model = Calibration(nominal)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(300):
    residual = (model(points) - pixels) / 100.0
    loss = residual.pow(2).sum(1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}  reprojection loss {loss.item():.5f}")

with torch.no_grad():
    rms = (model(points) - pixels).pow(2).sum(1).mean().sqrt().item()
print(f"rms reprojection error {rms:.2f} px  focal scale {model.log_focal.exp().tolist()}")
