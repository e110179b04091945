"""GRU next-value forecaster with an optional Noam-style warm-up schedule."""
import argparse

import torch
import torch.nn as nn
import torch.optim as optim

p = argparse.ArgumentParser()
p.add_argument("--hidden", type=int, default=16)
p.add_argument("--scheduler", type=str, default="noam")
p.add_argument("--warmup", type=int, default=4)
args = p.parse_args()


class Forecaster(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.gru = nn.GRU(1, hidden, num_layers=2, batch_first=True)
        self.proj = nn.Linear(hidden, 1)

    def forward(self, seq):
        h, _ = self.gru(seq)
        return self.proj(h[:, -1])


def noam(step, d_model=args.hidden, warmup=args.warmup):
    step = max(step, 1)
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def batches(n=5, length=12):
    for _ in range(n):
        t = torch.rand(8, 1) * 6
        grid = t + torch.linspace(0, 3, length + 1)
        wave = torch.sin(grid).unsqueeze(-1)
        yield wave[:, :-1], wave[:, -1]


torch.manual_seed(7)
model = Forecaster(args.hidden)
optimizer = optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98))
scheduler = optim.lr_scheduler.LambdaLR(optimizer, noam)
for epoch in range(4):
    for seq, target in batches():
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(seq), target)
        loss.backward()
        # --scheduler none trains at a constant rate
        optimizer.step()
        if args.scheduler != "none":
            scheduler.step()
    print(epoch, round(loss.item(), 4))
