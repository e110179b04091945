"""Fine-tuning from a checkpoint loaded with assign=True and a meta-device model materialised with
to_empty(), each before its optimizer is built: the optimizers hold the tensors that train."""
import io

import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 1))


def train(model, optimizer, x, y, steps):
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


torch.manual_seed(0)
x = torch.randn(60, 4)
y = x.sum(1, keepdim=True)

buffer = io.BytesIO()
torch.save(make_model().state_dict(), buffer)
buffer.seek(0)
model = make_model()
model.load_state_dict(torch.load(buffer, weights_only=True), assign=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
train(model, optimizer, x, y, steps=5)

with torch.device("meta"):
    second = make_model()
second.to_empty(device="cpu")
for layer in second:
    if isinstance(layer, nn.Linear):
        layer.reset_parameters()
second_optimizer = torch.optim.Adam(second.parameters(), lr=1e-2)
train(second, second_optimizer, x, y, steps=5)
