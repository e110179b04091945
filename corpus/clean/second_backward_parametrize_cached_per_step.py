"""An RNN whose recurrent matrix is kept orthogonal with torch.nn.utils.parametrizations.orthogonal;
the trainer enters parametrize.cached() around each step: the matrix is computed once per step."""
import torch
import torch.nn as nn
import torch.nn.utils.parametrize as P
from torch.nn.utils.parametrizations import orthogonal

torch.manual_seed(0)


class OrthoRNN(nn.Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.inp = nn.Linear(n_in, hidden)
        self.rec = orthogonal(nn.Linear(hidden, hidden, bias=False))
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x):
        h = torch.zeros(x.size(0), self.rec.weight.size(0))
        for t in range(x.size(1)):
            h = torch.tanh(self.inp(x[:, t]) + self.rec(h))
        return self.out(h)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    def run(self, epochs, batches):
        for epoch in range(epochs):
            for _ in range(batches):
                with P.cached():
                    x, y = torch.randn(16, 10, 4), torch.randint(0, 3, (16,))
                    loss = nn.functional.cross_entropy(self.model(x), y)
                    self.optimizer.zero_grad()
                    loss.backward()
                    self.optimizer.step()


Trainer(OrthoRNN(4, 32, 3)).run(epochs=3, batches=20)
