import torch
import torch.nn as nn
from torch.optim import RMSprop


class SequenceRegressor(nn.Module):
    def __init__(self, n_in=3, hidden=16):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class Trainer:
    def __init__(self, model, lr=5e-3, clip=1.0):
        self.model = model
        self.opt = RMSprop(model.parameters(), lr=lr)
        self.loss_fn = nn.SmoothL1Loss()
        self.clip = clip

    def train_step(self, x, y):
        self.model.train()
        self.opt.zero_grad()
        pred = self.model(x)
        loss = self.loss_fn(pred, y)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        self.opt.step()
        return loss.item()

    def fit(self, x, y, steps=10):
        for i in range(steps):
            print(f"step {i}: loss {self.train_step(x, y):.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    seqs = torch.randn(32, 7, 3)
    targets = seqs[:, :, 0].sum(dim=1, keepdim=True)
    Trainer(SequenceRegressor()).fit(seqs, targets)
