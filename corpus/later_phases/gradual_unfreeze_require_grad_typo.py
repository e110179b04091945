# Rotation-prediction pre-training of a conv backbone, then a classifier that first trains its head
# alone (warm-up) and unfreezes the backbone from UNFREEZE_EPOCH on.
import torch
from torch import nn
import torch.nn.functional as F

UNFREEZE_EPOCH = 2


def conv_backbone():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


torch.manual_seed(0)
digits = torch.rand(512, 1, 12, 12)
labels = torch.randint(0, 10, (512,))

# Phase 1: predict which of 4 rotations was applied (no labels needed).
pretext = nn.Sequential(conv_backbone(), nn.Linear(16, 4))
opt = torch.optim.SGD(pretext.parameters(), lr=0.05, momentum=0.9)
for epoch in range(5):
    for i in range(0, 512, 64):
        k = torch.randint(0, 4, (1,)).item()
        rotated = torch.rot90(digits[i:i + 64], k, dims=(2, 3))
        opt.zero_grad()
        loss = F.cross_entropy(pretext(rotated), torch.full((rotated.size(0),), k))
        loss.backward()
        opt.step()
pretrained = pretext[0].state_dict()

# Phase 2: digit classifier on the pre-trained backbone.
backbone = conv_backbone()
backbone.load_state_dict(pretrained)
head = nn.Linear(16, 10)
for p in backbone.parameters():
    p.requires_grad = False
optimizer = torch.optim.Adam([
    {"params": backbone.parameters(), "lr": 1e-4},
    {"params": head.parameters(), "lr": 1e-3},
])
for epoch in range(8):
    if epoch == UNFREEZE_EPOCH:
        for p in backbone.parameters():
            p.require_grad = True
    for i in range(0, 512, 64):
        optimizer.zero_grad()
        loss = F.cross_entropy(head(backbone(digits[i:i + 64])), labels[i:i + 64])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
