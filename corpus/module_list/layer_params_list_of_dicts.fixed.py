# A hand-written MLP whose weights are kept per layer as a dict {"w", "b"} of nn.Parameters, the
# dicts in a plain list: nothing is registered, so model.parameters() holds only the output layer.
import torch
import torch.nn as nn


class HandMLP(nn.Module):
    def __init__(self, sizes=(6, 16, 16)):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.ParameterDict({"w": nn.Parameter(torch.randn(n_out, n_in) * n_in ** -0.5), "b": nn.Parameter(torch.zeros(n_out))})
            for n_in, n_out in zip(sizes[:-1], sizes[1:])
        ])
        self.out = nn.Linear(sizes[-1], 1)

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(x @ layer["w"].t() + layer["b"])
        return self.out(x).squeeze(-1)


torch.manual_seed(0)
model = HandMLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 6)
y = torch.sin(x[:, 0]) + x[:, 1] * x[:, 2]
for step in range(40):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
