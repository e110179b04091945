# Correct: a loaded encoder is frozen through a helper that only touches parameters that require
# grad; the second stage, at a lower rate, again trains only what requires grad: the encoder is
# meant to stay frozen.
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_trainable(module, flag):
    for p in module.parameters():
        if p.requires_grad:
            p.requires_grad = flag


def encoder():
    return nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU())


torch.manual_seed(0)
backbone = encoder()
backbone.load_state_dict(encoder().state_dict())  # a checkpoint in the real script
head = nn.Linear(24, 3)
set_trainable(backbone, False)

warmup = torch.optim.Adam(head.parameters(), lr=1e-2)
for step in range(10):
    x = torch.randn(32, 10)
    loss = F.cross_entropy(head(backbone(x)), x[:, :3].argmax(1))
    warmup.zero_grad()
    loss.backward()
    warmup.step()

trainable = [p for m in (backbone, head) for p in m.parameters() if p.requires_grad]
optimizer = torch.optim.SGD(trainable, lr=1e-2, momentum=0.9)
for step in range(10):
    x = torch.randn(32, 10)
    loss = F.cross_entropy(head(backbone(x)), x[:, :3].argmax(1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
