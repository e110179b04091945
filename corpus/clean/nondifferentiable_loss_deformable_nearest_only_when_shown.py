"""A learned deformation field trained with bilinear sampling; the preview written after each
epoch uses nearest-neighbour sampling under no_grad (crisp pixels for the eye)."""
import torch
import torch.nn.functional as F
from torch import nn


class Deformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.field = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.Tanh(), nn.Conv2d(8, 2, 3, padding=1))
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, 12), torch.linspace(-1, 1, 12), indexing="ij")
        self.register_buffer("identity", torch.stack([xs, ys], -1))

    def forward(self, moving, fixed, mode="bilinear"):
        offset = 0.1 * self.field(torch.cat([moving, fixed], 1)).permute(0, 2, 3, 1)
        return F.grid_sample(moving, self.identity + offset, mode=mode, align_corners=True)


def main():
    torch.manual_seed(0)
    fixed = torch.rand(32, 1, 12, 12)
    moving = torch.roll(fixed, 1, dims=2)
    model = Deformer()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(3):
        for m, f in zip(moving.split(8), fixed.split(8)):
            loss = F.mse_loss(model(m, f), f)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            preview = model(moving[:1], fixed[:1], mode="nearest")
        print(f"epoch {epoch}: loss {loss.item():.4f}, preview range {preview.min().item():.2f}..{preview.max().item():.2f}")


if __name__ == "__main__":
    main()
