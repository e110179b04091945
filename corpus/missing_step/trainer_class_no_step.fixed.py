import torch
import torch.nn as nn
from torch.optim import RMSprop


class SequenceModel(nn.Module):
    def __init__(self, n_in=3, hidden=12):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class Trainer:
    def __init__(self, model, lr=5e-3):
        self.model = model
        self.opt = RMSprop(model.parameters(), lr=lr)
        self.loss_fn = nn.MSELoss()

    def train_step(self, x, y):
        self.opt.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def train(self, x, y, steps=6):
        for i in range(steps):
            print(f"step {i}: loss {self.train_step(x, y):.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    seqs = torch.randn(32, 7, 3)
    targets = seqs[:, :, 0].sum(dim=1, keepdim=True)
    Trainer(SequenceModel()).train(seqs, targets)
