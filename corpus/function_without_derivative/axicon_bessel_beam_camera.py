"""Self-supervised reading of Bessel-beam camera frames from an axicon alignment rig.

An axicon turns a collimated laser into a Bessel beam whose transverse intensity is

    I(x, y) = A * J0(k_r * rho)^2 + background,    rho = |(x, y) - centre|

where the radial wavenumber k_r sets the ring spacing (it depends on the cone angle). A small CNN
reads a camera frame and predicts the beam centre, k_r, the peak intensity and the background;
a differentiable renderer draws the frame those parameters describe, and the loss is the
pixel-wise error between the two. No labels are needed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

FRAME = 32
PIXEL_UM = 5.0
_coords = (torch.arange(FRAME, dtype=torch.float) - (FRAME - 1) / 2) * PIXEL_UM
GRID_Y, GRID_X = torch.meshgrid(_coords, _coords, indexing="ij")


def render_beam(centre_um, k_r, peak, background):
    dx = GRID_X - centre_um[:, 0, None, None]
    dy = GRID_Y - centre_um[:, 1, None, None]
    rho = torch.sqrt(dx**2 + dy**2 + 1e-6)
    field = torch.special.bessel_j0(k_r[:, None, None] * rho)
    return peak[:, None, None] * field**2 + background[:, None, None]


def camera_frames(n, seed):
    g = torch.Generator().manual_seed(seed)
    centre = 15.0 * (2 * torch.rand(n, 2, generator=g) - 1)
    k_r = 0.08 + 0.08 * torch.rand(n, generator=g)
    peak = 0.6 + 0.4 * torch.rand(n, generator=g)
    background = 0.05 * torch.rand(n, generator=g)
    frames = render_beam(centre, k_r, peak, background)
    frames = frames + 0.02 * torch.randn(frames.shape, generator=g)
    return frames.unsqueeze(1), centre, k_r


class BeamReader(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.geometry = nn.Linear(2 * width, 3)
        self.photometry = nn.Linear(2 * width, 2)

    def forward(self, frames):
        h = self.features(frames)
        g = self.geometry(h)
        centre = 20.0 * torch.tanh(g[:, :2])
        k_r = 0.05 + 0.15 * torch.sigmoid(g[:, 2])
        p = self.photometry(h)
        return centre, k_r, F.softplus(p[:, 0]), 0.1 * torch.sigmoid(p[:, 1])


def main():
    torch.manual_seed(0)
    frames, centres, k_rs = camera_frames(640, seed=1)
    val_frames, val_centres, val_k = camera_frames(128, seed=2)
    reader = BeamReader()
    optimizer = torch.optim.Adam(reader.parameters(), lr=2e-3)

    for epoch in range(3):
        order = torch.randperm(len(frames))
        for start in range(0, len(order), 32):
            batch = frames[order[start:start + 32]]
            rendered = render_beam(*reader(batch))
            loss = F.mse_loss(rendered, batch.squeeze(1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            centre, k_r, _, _ = reader(val_frames)
            centre_err = (centre - val_centres).norm(dim=1).mean()
            k_err = ((k_r - val_k).abs() / val_k).mean()
        print(f"epoch {epoch}: render mse {loss.item():.5f}, centre error {centre_err:.2f} um, k_r error {100 * k_err:.1f} %")


if __name__ == "__main__":
    main()
