# A small regression MLP trained in float32, then exported: its weights are quantized to int8 for
# the device, and the int8 round trip's error is measured, with gradients off.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(256, 8)
y = x[:, :1] * 2 - x[:, 1:2]

for epoch in range(40):
    loss = F.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def export_int8(net):
    with torch.no_grad():
        shipped = {}
        for name, p in net.named_parameters():
            scale = float(p.abs().max()) / 127 + 1e-12
            shipped[name] = torch.quantize_per_tensor(p, scale, 0, torch.qint8)
        return shipped


weights = export_int8(model)
error = max((weights[n].dequantize() - p).abs().max().item() for n, p in model.named_parameters())
print(f"loss {loss.item():.4f}, int8 round-trip error {error:.5f}")
