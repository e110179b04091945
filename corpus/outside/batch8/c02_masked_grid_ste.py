"""Masked factorised feature grid (masked-wavelet-NeRF style) fitted to a 2D signal.

Plane and line factors are binarily masked with learnable masks.  The hard mask is applied
with a straight-through estimator: the forward pass uses `plane * (mask >= 0.5)`, the
backward pass uses the gradient of the soft `plane * mask`, so both the factors and the mask
logits keep receiving gradients.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

RES, C = 32, 8


class MaskedFactorGrid(nn.Module):
    def __init__(self, use_mask=True):
        super().__init__()
        self.use_mask = use_mask
        self.density_plane = nn.Parameter(0.1 * torch.randn(1, C, RES, RES))
        self.density_line = nn.Parameter(0.1 * torch.randn(1, C, RES, 1))
        self.density_plane_mask = nn.Parameter(torch.ones(1, C, RES, RES))
        self.density_line_mask = nn.Parameter(torch.ones(1, C, RES, 1))
        self.decoder = nn.Sequential(nn.Linear(C, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, xy):
        plane, line = self.density_plane, self.density_line
        if self.use_mask:
            mask = torch.sigmoid(self.density_plane_mask)
            plane = (plane * (mask >= 0.5) - plane * mask).detach() + plane * mask
            mask = torch.sigmoid(self.density_line_mask)
            line = (line * (mask >= 0.5) - line * mask).detach() + line * mask
        grid = xy.view(1, -1, 1, 2)
        f_plane = F.grid_sample(plane, grid, align_corners=True).view(C, -1)
        line_grid = torch.stack([torch.zeros_like(xy[:, 1]), xy[:, 1]], -1).view(1, -1, 1, 2)
        f_line = F.grid_sample(line, line_grid, align_corners=True).view(C, -1)
        return self.decoder((f_plane * f_line).t()).squeeze(-1)

    def mask_loss(self):
        return torch.sigmoid(self.density_plane_mask).mean() + torch.sigmoid(self.density_line_mask).mean()


def target_signal(xy):
    return torch.sin(4 * xy[:, 0]) * torch.cos(3 * xy[:, 1]) + 0.5 * (xy[:, 0] * xy[:, 1] > 0).float()


if __name__ == "__main__":
    model = MaskedFactorGrid()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for step in range(100):
        xy = torch.rand(1024, 2) * 2 - 1
        pred = model(xy)
        loss = F.mse_loss(pred, target_signal(xy)) + 1e-3 * model.mask_loss()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0:
            kept = (torch.sigmoid(model.density_plane_mask) >= 0.5).float().mean().item()
            print(f"step {step} loss {loss.item():.4f} kept {kept:.3f}")
