# Mixed-precision training of a tiny transformer encoder; gradients are unscaled before clipping.
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=12)
parser.add_argument("--lr", type=float, default=5e-4)
parser.add_argument("--max-grad-norm", type=float, default=0.0, help="0 disables clipping")
args = parser.parse_args()

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(8)


class Encoder(nn.Module):
    def __init__(self, vocab=100, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(dim, 2)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids)).mean(1))


model = Encoder().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
scaler = torch.amp.GradScaler(device)
ids = torch.randint(0, 100, (64, 10), device=device)
labels = (ids[:, 0] > 50).long()

for step in range(args.steps):
    batch = torch.randint(0, 64, (16,), device=device)
    with torch.autocast(device_type=device, dtype=torch.bfloat16):
        loss = nn.functional.cross_entropy(model(ids[batch]), labels[batch])
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
    scaler.step(optimizer)
    scaler.update()
    if step % 4 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
