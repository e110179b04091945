# A checkpoint of state dicts, {"model": ..., "optimizer": ...}, loaded into a fresh model and an
# optimizer built over it: load_state_dict writes into the parameters the optimizer holds.
import io

import torch
import torch.nn as nn

torch.manual_seed(0)


def build():
    model = nn.Sequential(nn.Linear(3, 7), nn.ReLU(), nn.Linear(7, 1))
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def train(model, optimizer, steps):
    data, target = torch.randn(16, 3), torch.randn(16, 1)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(data), target).backward()
        optimizer.step()


model, optimizer = build()
train(model, optimizer, 3)
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
buffer.seek(0)

checkpoint = torch.load(buffer)
resumed_model, resumed_optimizer = build()
resumed_model.load_state_dict(checkpoint["model"])
resumed_optimizer.load_state_dict(checkpoint["optimizer"])
train(resumed_model, resumed_optimizer, 3)
