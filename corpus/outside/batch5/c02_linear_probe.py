# Linear-probe evaluation of a frozen feature extractor: the backbone is deliberately
# frozen (requires_grad False, eval mode, features under no_grad), only the probe trains.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)

backbone = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(),
)
# stand-in for loading self-supervised weights
state = {k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v for k, v in backbone.state_dict().items()}
backbone.load_state_dict(state)
for p in backbone.parameters():
    p.requires_grad = False
backbone.eval()

probe = nn.Linear(32, 4)
optimizer = optim.SGD(filter(lambda p: p.requires_grad, list(backbone.parameters()) + list(probe.parameters())),
                      lr=0.5, momentum=0.9, weight_decay=0.0)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)

X = torch.rand(256, 3, 16, 16)
y = torch.randint(0, 4, (256,))
X[torch.arange(256), y % 3] += 0.5 * (y.float() + 1).view(-1, 1, 1)


@torch.no_grad()
def extract(x):
    return F.normalize(backbone(x), dim=1)


features = extract(X).detach()
for epoch in range(30):
    perm = torch.randperm(len(y))
    for i in range(0, len(y), 64):
        idx = perm[i:i + 64]
        logits = probe(features[idx])
        loss = F.cross_entropy(logits, y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    scheduler.step()
    if epoch % 10 == 0:
        with torch.no_grad():
            acc = (probe(features).argmax(1) == y).float().mean().item()
        print(f"epoch {epoch:02d} loss {loss.item():.4f} probe acc {acc:.3f}")
