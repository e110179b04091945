"""Quantisation-aware training of an 8-bit MLP regressor. Each quantised layer fake-quantises its
weight with a per-tensor scale kept in a buffer, refreshed from the weight's range without
gradient before each forward; the straight-through estimator passes the gradient to the weight."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class QuantLinear(nn.Linear):
    def __init__(self, d_in, d_out):
        super().__init__(d_in, d_out)
        self.register_buffer("scale", torch.ones(()))
        self.register_buffer("zero_point", torch.zeros((), dtype=torch.int32))

    def forward(self, x):
        with torch.no_grad():
            self.scale.copy_(self.weight.abs().max().clamp(min=1e-8) / 127)
        weight = torch.fake_quantize_per_tensor_affine(self.weight, self.scale, self.zero_point, -128, 127)
        return F.linear(x, weight, self.bias)


inputs = torch.rand(1024, 3) * 4 - 2
targets = torch.sin(inputs[:, :1]) * inputs[:, 1:2] + 0.5 * inputs[:, 2:] ** 2

model = nn.Sequential(QuantLinear(3, 64), nn.Tanh(), QuantLinear(64, 64), nn.Tanh(), QuantLinear(64, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(15):
    for i in range(0, 1024, 64):
        loss = F.mse_loss(model(inputs[i:i + 64]), targets[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 3 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")
