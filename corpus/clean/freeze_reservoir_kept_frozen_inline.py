"""An echo-state network: the recurrent reservoir is random and stays as it is, the read-out is
trained. The freeze says so on its own line, and the whole model goes to Adam."""
import torch
from torch import nn, optim


class EchoState(nn.Module):
    def __init__(self, n_in, n_res, n_out):
        super().__init__()
        self.w_in = nn.Linear(n_in, n_res, bias=False)
        self.w_res = nn.Linear(n_res, n_res, bias=False)
        self.out = nn.Linear(n_res, n_out)

    def forward(self, seq):
        h = torch.zeros(seq.shape[1], self.w_res.in_features)
        for x_t in seq:
            h = torch.tanh(self.w_in(x_t) + self.w_res(h))
        return self.out(h)


esn = EchoState(3, 50, 2)
esn.w_in.requires_grad_(False)  # reservoir input weights: keep frozen (echo-state design)
esn.w_res.weight.requires_grad = False  # deliberately untrained reservoir
opt = optim.Adam(esn.parameters(), lr=1e-2)
data = torch.randn(12, 16, 3)
target = torch.randn(16, 2)
for step in range(10):
    opt.zero_grad()
    loss = (esn(data) - target).pow(2).mean()
    loss.backward()
    opt.step()
