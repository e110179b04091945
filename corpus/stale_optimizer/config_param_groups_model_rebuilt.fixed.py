"""Autoencoder whose optimizer settings live in one config dict; the model is rebuilt wider
after the config was written, and the optimizer is made from the config."""
import torch
import torch.nn as nn


class AutoEncoder(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, width), nn.Tanh())
        self.decoder = nn.Linear(width, 20)

    def forward(self, x):
        return self.decoder(self.encoder(x))


torch.manual_seed(0)
net = AutoEncoder(width=4)
config = {
    "epochs": 15,
    "optim": {
        "lr": 5e-3,
        "param_groups": [
            {"params": net.encoder.parameters()},
            {"params": net.decoder.parameters(), "weight_decay": 1e-4},
        ],
    },
}

# a bottleneck of 4 loses too much: rebuild with 8
net = AutoEncoder(width=8)
config["optim"]["param_groups"][0]["params"] = net.encoder.parameters()
config["optim"]["param_groups"][1]["params"] = net.decoder.parameters()
optimizer = torch.optim.Adam(config["optim"]["param_groups"], lr=config["optim"]["lr"])

data = torch.randn(128, 20)
for epoch in range(config["epochs"]):
    optimizer.zero_grad()
    loss = ((net(data) - data) ** 2).mean()
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
