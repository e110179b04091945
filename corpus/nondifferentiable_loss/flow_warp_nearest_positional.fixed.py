"""Self-supervised optical flow: a small network predicts the flow from frame 1 to frame 2, and
frame 2 warped back by it should look like frame 1 (photometric loss)."""
import torch
import torch.nn.functional as F
from torch import nn

SAMPLING = "nearest"


def base_grid(height, width):
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    return torch.stack([xs, ys], dim=-1)


def warp(frame, flow, grid):
    """Sample ``frame`` at every pixel moved by ``flow`` (in normalised coordinates)."""
    moved = grid.unsqueeze(0) + flow.permute(0, 2, 3, 1)
    return F.grid_sample(frame, moved, "bilinear", "border", True)


class FlowNet(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(6, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2, 3, padding=1),
        )

    def forward(self, first, second):
        return 0.1 * torch.tanh(self.body(torch.cat([first, second], dim=1)))


def main():
    torch.manual_seed(0)
    first = torch.rand(64, 3, 12, 12)
    second = torch.roll(first, shifts=1, dims=3) + 0.01 * torch.randn_like(first)
    grid = base_grid(12, 12)
    net = FlowNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(30):
        flow = net(first, second)
        loss = (warp(second, flow, grid) - first).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: photometric loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
