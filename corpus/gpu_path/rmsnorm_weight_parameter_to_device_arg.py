# A small pre-norm MLP-Mixer-style block stack with a hand-written RMSNorm that takes a device.
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6, device=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim)).to(device)

    def forward(self, x):
        return self.weight * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class MixerBlock(nn.Module):
    def __init__(self, dim, device=None):
        super().__init__()
        self.norm = RMSNorm(dim, device=device)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)).to(device)

    def forward(self, x):
        return x + self.mlp(self.norm(x))


def main():
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(0)
    model = nn.Sequential(*[MixerBlock(24, device=device) for _ in range(3)], nn.Linear(24, 1).to(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    x = torch.randn(256, 24, device=device)
    y = x[:, :4].prod(dim=1, keepdim=True)
    for step in range(150):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
