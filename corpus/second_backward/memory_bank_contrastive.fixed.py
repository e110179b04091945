"""Instance discrimination with a memory bank of past embeddings (negatives for an InfoNCE loss).
The bank is refreshed with each batch's embeddings."""
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
BANK_SIZE, DIM = 64, 16


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, DIM))

    def forward(self, x):
        return F.normalize(self.body(x), dim=1)


def augment(x):
    return x + 0.05 * torch.randn_like(x)


encoder = Encoder()
opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
bank = F.normalize(torch.randn(BANK_SIZE, DIM), dim=1)
data = torch.randn(256, 20)

step = 0
while step < 8:
    batch = data[torch.randint(0, len(data), (16,))]
    q, k = encoder(augment(batch)), encoder(augment(batch))
    positives = (q * k).sum(dim=1, keepdim=True)
    negatives = q @ bank.t()
    logits = torch.cat([positives, negatives], dim=1) / 0.07
    loss = F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))
    opt.zero_grad()
    loss.backward()
    opt.step()
    bank = torch.cat([k, bank])[:BANK_SIZE]
    bank = bank.detach()
    step += 1
    print(f"step {step} loss {loss.item():.3f}")
