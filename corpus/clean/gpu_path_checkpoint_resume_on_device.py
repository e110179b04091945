# Train, save a checkpoint, and resume from it on the device the script chose: on a GPU machine
# torch.load(map_location="cuda") puts the state back on the GPU, and training goes on.
import io

import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
x, y = torch.randn(64, 6), torch.randn(64, 1)


def make():
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1)).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-2)


def train(model, optimizer, epochs):
    for _ in range(epochs):
        for i in range(0, 64, 16):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x[i:i + 16].to(device)), y[i:i + 16].to(device))
            loss.backward()
            optimizer.step()


model, optimizer = make()
train(model, optimizer, 2)
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)

buffer.seek(0)
state = torch.load(buffer, map_location=device)
resumed, resumed_optimizer = make()
resumed.load_state_dict(state["model"])
resumed_optimizer.load_state_dict(state["optimizer"])
train(resumed, resumed_optimizer, 2)
