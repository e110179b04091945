# Data pruning by GraNd score (Paul et al., 2021) before training a road-sign classifier.
#
# A small proxy MLP, without normalisation layers, is trained briefly; the norm of each example's
# loss gradient (torch.func per-sample gradients) scores how much it still has to teach. The
# easiest 40% are dropped and the real model, a CNN with BatchNorm, is trained on the rest in the
# ordinary way.
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, grad, vmap
import torch.nn.functional as F


@dataclass
class Settings:
    n_images: int = 1200
    classes: int = 6
    side: int = 12
    keep_fraction: float = 0.6
    proxy_epochs: int = 2
    epochs: int = 4
    batch: int = 64
    seed: int = 4


def road_signs(s: Settings):
    g = torch.Generator().manual_seed(s.seed)
    labels = torch.randint(0, s.classes, (s.n_images,), generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, s.side), torch.linspace(-1, 1, s.side), indexing="ij")
    shapes = torch.stack([
        (xx ** 2 + yy ** 2 < 0.6).float(),                     # round
        ((xx.abs() + yy.abs()) < 0.8).float(),                 # diamond
        ((xx.abs() < 0.7) & (yy.abs() < 0.7)).float(),         # square
        ((yy > -0.6) & (yy < 0.7 - 1.3 * xx.abs())).float(),   # triangle
        (xx.abs() < 0.2).float() + (yy.abs() < 0.2).float(),   # cross
        ((xx ** 2 + yy ** 2 < 0.8) & (xx ** 2 + yy ** 2 > 0.3)).float(),  # ring
    ])
    contrast = 0.4 + torch.rand(s.n_images, 1, 1, generator=g)
    images = contrast * shapes[labels] + 0.35 * torch.randn(s.n_images, s.side, s.side, generator=g)
    return images.unsqueeze(1), labels


class Proxy(nn.Module):
    def __init__(self, s: Settings):
        super().__init__()
        self.mlp = nn.Sequential(nn.Flatten(), nn.Linear(s.side * s.side, 64), nn.ReLU(), nn.Linear(64, s.classes))

    def forward(self, x):
        return self.mlp(x)


class SignNet(nn.Module):
    def __init__(self, s: Settings):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(32, s.classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


def fit(model, images, labels, epochs, batch, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


def grand_scores(proxy, images, labels):
    params = {k: v.detach() for k, v in proxy.named_parameters()}

    def one(p, x, y):
        return F.cross_entropy(functional_call(proxy, p, (x[None],)), y[None])

    per_example = vmap(grad(one), in_dims=(None, 0, 0))(params, images, labels)
    return torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in per_example.values()))


def main(s: Settings = Settings()):
    torch.manual_seed(s.seed)
    images, labels = road_signs(s)
    train_x, train_y = images[:1000], labels[:1000]
    test_x, test_y = images[1000:], labels[1000:]

    proxy = Proxy(s)
    fit(proxy, train_x, train_y, s.proxy_epochs, s.batch, lr=1e-3)
    scores = grand_scores(proxy, train_x, train_y)
    keep = scores.argsort(descending=True)[: int(s.keep_fraction * len(scores))]
    print(f"kept {len(keep)} of {len(scores)} examples (score cut {scores[keep[-1]]:.3f})")

    model = SignNet(s)
    final_loss = fit(model, train_x[keep], train_y[keep], s.epochs, s.batch, lr=3e-3)
    model.eval()
    with torch.no_grad():
        acc = (model(test_x).argmax(1) == test_y).float().mean().item()
    print(f"final train loss {final_loss:.3f}, test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
