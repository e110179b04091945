# A small sequence regressor with fixed sinusoidal position encodings: the frequencies and the
# input scale are computed once, in __init__, from constants that need no gradient.
import math

import torch
import torch.nn as nn

torch.manual_seed(0)


class PositionalRegressor(nn.Module):
    def __init__(self, d_model=16, max_len=32):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        freqs = torch.exp(torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * freqs)
        table[:, 1::2] = torch.cos(position * freqs)
        self.register_buffer("positions", table)
        self.input_scale = torch.exp(torch.tensor(-0.5))
        self.embed = nn.Linear(1, d_model)
        self.mix = nn.GRU(d_model, d_model, batch_first=True)
        self.out = nn.Linear(d_model, 1)

    def forward(self, x):
        h = self.embed(x.unsqueeze(-1) * self.input_scale) + self.positions[: x.shape[1]]
        h, _ = self.mix(h)
        return self.out(h[:, -1]).squeeze(-1)


model = PositionalRegressor()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(30):
    x = torch.randn(16, 20)
    target = x[:, ::2].sum(1) * 0.3
    loss = nn.functional.mse_loss(model(x), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
