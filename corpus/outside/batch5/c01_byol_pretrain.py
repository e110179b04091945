"""BYOL self-supervised pre-training on synthetic images: the target branch gets no
gradient (stop-gradient) and is updated only as an exponential moving average."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(dim, hidden, out):
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))


class Encoder(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.out_dim = 2 * width

    def forward(self, x):
        return self.net(x)


class BYOL(nn.Module):
    def __init__(self, proj_dim=32, hidden=64, tau=0.99):
        super().__init__()
        self.online_encoder = Encoder()
        self.online_projector = mlp(self.online_encoder.out_dim, hidden, proj_dim)
        self.predictor = mlp(proj_dim, hidden, proj_dim)
        self.target_encoder = copy.deepcopy(self.online_encoder)
        self.target_projector = copy.deepcopy(self.online_projector)
        for p in list(self.target_encoder.parameters()) + list(self.target_projector.parameters()):
            p.requires_grad = False
        self.tau = tau

    def online_parameters(self):
        return (list(self.online_encoder.parameters()) + list(self.online_projector.parameters())
                + list(self.predictor.parameters()))

    @torch.no_grad()
    def update_target(self):
        for online, target in ((self.online_encoder, self.target_encoder),
                               (self.online_projector, self.target_projector)):
            for po, pt in zip(online.parameters(), target.parameters()):
                pt.mul_(self.tau).add_(po.detach(), alpha=1 - self.tau)

    @staticmethod
    def regression_loss(p, z):
        return 2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1).mean()

    def forward(self, v1, v2):
        p1 = self.predictor(self.online_projector(self.online_encoder(v1)))
        p2 = self.predictor(self.online_projector(self.online_encoder(v2)))
        with torch.no_grad():
            z1 = self.target_projector(self.target_encoder(v1))
            z2 = self.target_projector(self.target_encoder(v2))
        return self.regression_loss(p1, z2) + self.regression_loss(p2, z1)


def augment(x):
    if torch.rand(()) < 0.5:
        x = x.flip(-1)
    x = x * (0.8 + 0.4 * torch.rand(x.size(0), 3, 1, 1))
    return x + 0.1 * torch.randn_like(x)


def main():
    torch.manual_seed(0)
    images = torch.rand(128, 3, 16, 16)
    model = BYOL()
    optimizer = torch.optim.Adam(model.online_parameters(), lr=1e-3)
    for step in range(20):
        batch = images[torch.randint(0, images.size(0), (32,))]
        loss = model(augment(batch), augment(batch))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.update_target()
        if step % 5 == 0:
            print(f"step {step:02d} byol loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
