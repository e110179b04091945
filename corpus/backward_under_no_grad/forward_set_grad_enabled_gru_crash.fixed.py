"""Next-value regression on noisy sine waves with a GRU. The forward was copied from a predict()
that switched gradients off, and it kept the switch."""
import math

import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self, hidden=24):
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, seq):
        states, _ = self.gru(seq.unsqueeze(-1))
        pred = self.out(states[:, -1])
        return pred.squeeze(-1)


def windows(n=32, length=20):
    start = torch.rand(n, 1) * 2 * math.pi
    t = start + torch.arange(length + 1) * 0.3
    wave = torch.sin(t) + 0.05 * torch.randn_like(t)
    return wave[:, :-1], wave[:, -1]


def train(model, steps=300):
    optimizer = torch.optim.RMSprop(model.parameters(), lr=5e-3)
    loss_fn = nn.MSELoss()
    for step in range(steps):
        seq, target = windows()
        loss = loss_fn(model(seq), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(1)
    print("final loss", train(Forecaster()))
