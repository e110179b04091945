"""Linear probe: the keep-keyword names no part of the encoder, so the whole encoder is frozen,
and that is the point: the optimizer holds only a new head built outside it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(12, 24)
        self.blocks = nn.Sequential(nn.Linear(24, 24), nn.GELU(), nn.Linear(24, 24))

    def forward(self, x):
        return self.blocks(F.gelu(self.stem(x)))


encoder = Encoder()
for name, p in encoder.named_parameters():
    if "head" not in name:
        p.requires_grad = False

probe = nn.Linear(24, 3)
optimizer = torch.optim.SGD(probe.parameters(), lr=0.1)
x, y = torch.randn(48, 12), torch.randint(0, 3, (48,))
for _ in range(15):
    optimizer.zero_grad()
    loss = F.cross_entropy(probe(encoder(x)), y)
    loss.backward()
    optimizer.step()
print(loss.item())
