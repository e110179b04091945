"""Where was the drum hit? Supervised strike-position regression from a ring of contact mics.

Five contact microphones sit on the head of a drum at fixed radii. The amplitude each one picks
up in each axisymmetric mode (0, n) follows the mode shape J0(lambda_n r_mic); those shapes are a
fixed table, computed once from the microphones' positions and kept as a buffer, and each frame
of readings is projected on it before a small MLP regresses the strike radius (labelled by a
robot striker). After training, the predicted radius is turned back into modal amplitudes,
without gradients, to report how far the implied spectrum is from the measured one.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.special import bessel_j0

J0_ZEROS = torch.tensor([2.4048, 5.5201, 8.6537, 11.7915, 14.9309])
MIC_RADII = torch.tensor([0.1, 0.3, 0.5, 0.7, 0.9])


def strikes(n, seed):
    g = torch.Generator().manual_seed(seed)
    radius = 0.05 + 0.9 * torch.rand(n, generator=g)
    velocity = 0.5 + torch.rand(n, 1, generator=g)
    modal = velocity * bessel_j0(J0_ZEROS * radius[:, None])              # (n, modes)
    shapes = bessel_j0(J0_ZEROS[None, :] * MIC_RADII[:, None])            # (mics, modes)
    readings = modal[:, None, :] * shapes[None] + 0.02 * torch.randn(n, len(MIC_RADII), len(J0_ZEROS), generator=g)
    return readings, radius, modal


class StrikeLocator(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        table = bessel_j0(J0_ZEROS[None, :] * MIC_RADII[:, None])
        self.register_buffer("mode_shapes", table)
        self.register_buffer("pinv", torch.linalg.pinv(table.T @ table) @ table.T)
        self.mlp = nn.Sequential(
            nn.Linear(len(J0_ZEROS) ** 2, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, readings):
        # least-squares modal amplitudes per mode, from the five mics
        projected = torch.einsum("km,bmn->bkn", self.pinv, readings)
        return torch.sigmoid(self.mlp(projected.flatten(1))).squeeze(1)


def main():
    torch.manual_seed(0)
    x, r, _ = strikes(2048, seed=1)
    x_val, r_val, modal_val = strikes(256, seed=2)
    model = StrikeLocator()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    for epoch in range(8):
        perm = torch.randperm(len(x))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            loss = F.mse_loss(model(x[idx]), r[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

        model.eval()
        with torch.no_grad():
            r_hat = model(x_val)
            implied = bessel_j0(J0_ZEROS * r_hat[:, None]).abs()
            spectral = F.l1_loss(implied / implied.norm(dim=1, keepdim=True),
                                 modal_val.abs() / modal_val.abs().norm(dim=1, keepdim=True))
        model.train()
        print(f"epoch {epoch}: mse {loss.item():.5f}  radius MAE {(r_hat - r_val).abs().mean():.4f}  "
              f"modal-shape error {spectral.item():.4f}")


if __name__ == "__main__":
    main()
