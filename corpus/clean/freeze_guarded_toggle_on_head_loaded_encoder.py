# Correct: the loaded encoder is frozen through a guarded helper and stays frozen. The later call
# of the helper only makes sure the head trains (it already does: a no-op by design), and the
# optimizer given every module skips the frozen encoder on purpose.
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_trainable(module, flag):
    for p in module.parameters():
        if p.requires_grad:
            p.requires_grad = flag


def make_encoder():
    return nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())


torch.manual_seed(0)
encoder = make_encoder()
encoder.load_state_dict(make_encoder().state_dict())  # a checkpoint in the real script
norm = nn.LayerNorm(16)
head = nn.Linear(16, 3)
set_trainable(encoder, False)

calibrate = torch.optim.SGD(norm.parameters(), lr=1e-2)
for step in range(5):
    x = torch.randn(32, 12)
    loss = F.cross_entropy(head(norm(encoder(x))), x[:, :3].argmax(1))
    calibrate.zero_grad()
    loss.backward()
    calibrate.step()

set_trainable(head, True)
optimizer = torch.optim.Adam([*encoder.parameters(), *norm.parameters(), *head.parameters()], lr=1e-3)
for step in range(10):
    x = torch.randn(32, 12)
    loss = F.cross_entropy(head(norm(encoder(x))), x[:, :3].argmax(1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
