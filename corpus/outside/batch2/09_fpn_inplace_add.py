# Report: https://github.com/lyongo/NWPU-MOC/issues/4
# What goes wrong: the FPN top-down pathway does `laterals[i - 1] += F.interpolate(...)`, an
# in-place add on a ReLU output that autograd saved for backward -> RuntimeError in backward().
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ConvReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__(nn.Conv2d(cin, cout, k, stride, padding=k // 2), nn.ReLU())


class TinyFPNCounter(nn.Module):
    """Predicts a density map (crowd-counting style) from a 3-level feature pyramid."""

    def __init__(self, chans=(8, 16, 32), out_ch=16):
        super().__init__()
        self.stages = nn.ModuleList()
        cin = 3
        for c in chans:
            self.stages.append(ConvReLU(cin, c, stride=2))
            cin = c
        self.lateral_convs = nn.ModuleList([ConvReLU(c, out_ch, k=1) for c in chans])
        self.head = nn.Conv2d(out_ch, 1, 3, padding=1)

    def forward(self, x):
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        laterals = [conv(f) for conv, f in zip(self.lateral_convs, feats)]
        for i in range(len(laterals) - 1, 0, -1):
            prev_shape = laterals[i - 1].shape[2:]
            laterals[i - 1] += F.interpolate(laterals[i], size=prev_shape, mode="nearest")
        return F.softplus(self.head(laterals[0]))


def train(model, loader, epochs=3):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for imgs, counts in loader:
            density = model(imgs)
            loss = F.mse_loss(density.sum(dim=(1, 2, 3)), counts)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}  loss {loss.item():.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    imgs = torch.rand(64, 3, 32, 32)
    counts = imgs.mean(dim=(1, 2, 3)) * 50
    loader = DataLoader(TensorDataset(imgs, counts), batch_size=16, shuffle=True)
    train(TinyFPNCounter(), loader)
