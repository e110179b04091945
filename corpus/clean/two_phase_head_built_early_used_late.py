"""Self-supervised pretraining of an encoder (denoising), then supervised training of the encoder
and a regression head. The head is built at the start, with the encoder, but first runs in the
second phase: nothing is frozen, and everything trains."""
import torch
from torch import nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, n_in=12, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, hidden), nn.GELU(), nn.Linear(hidden, hidden))

    def forward(self, x):
        return self.net(x)


torch.manual_seed(7)
encoder = Encoder()
decoder = nn.Linear(32, 12)
head = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
x = torch.randn(256, 12)
y = (x[:, :3].sum(dim=1, keepdim=True) + 0.1 * torch.randn(256, 1))

pretrain = torch.optim.AdamW(list(encoder.parameters()) + list(decoder.parameters()), lr=3e-3)
for epoch in range(40):
    noisy = x + 0.2 * torch.randn_like(x)
    loss = F.mse_loss(decoder(encoder(noisy)), x)
    pretrain.zero_grad()
    loss.backward()
    pretrain.step()
print(f"pretraining loss {loss.item():.4f}")

finetune = torch.optim.AdamW([
    {"params": encoder.parameters(), "lr": 1e-3},
    {"params": head.parameters(), "lr": 3e-3},
])
for epoch in range(40):
    loss = F.mse_loss(head(encoder(x)), y)
    finetune.zero_grad()
    loss.backward()
    finetune.step()
print(f"regression loss {loss.item():.4f}")
