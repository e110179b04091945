"""Multi-scale feature fusion with learned non-negative weights (a small FPN for segmentation)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class WeightedFusion(nn.Module):
    def __init__(self, n_inputs, eps=1e-4):
        super().__init__()
        self.w = nn.Parameter(torch.ones(n_inputs))
        self.eps = eps

    def forward(self, feats):
        w = F.relu(self.w, inplace=False)
        w = w / (w.sum() + self.eps)
        return sum(wi * f for wi, f in zip(w, feats))


class TinyFPN(nn.Module):
    def __init__(self, c=12):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.ReLU())
        self.c2 = nn.Sequential(nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU())
        self.fuse = WeightedFusion(2)
        self.out = nn.Conv2d(c, 2, 1)

    def forward(self, x):
        a = self.c1(x)
        b = F.interpolate(self.c2(a), size=a.shape[-2:], mode="nearest")
        return self.out(self.fuse([a, b]))


def main():
    torch.manual_seed(0)
    net = TinyFPN()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for step in range(20):
        x = torch.randn(8, 3, 16, 16)
        mask = (x[:, 0] > 0).long()
        loss = F.cross_entropy(net(x), mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(loss.item(), net.fuse.w.tolist())


if __name__ == "__main__":
    main()
