import torch
import torch.nn as nn


class Autoencoder(nn.Module):
    def __init__(self, dim=12, code=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 8), nn.ReLU(), nn.Linear(8, code))
        self.decoder = nn.Sequential(nn.Linear(code, 8), nn.ReLU(), nn.Linear(8, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def build_optimizer(net, lr):
    params = list(net.parameters())
    # TODO: separate weight decay for biases
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)


def train(steps=15):
    net = Autoencoder()
    optimizer = build_optimizer(net, lr=3e-3)
    data = torch.randn(32, 12)
    for step in range(steps):
        optimizer.zero_grad()
        loss = ((net(data) - data) ** 2).mean()
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    print("final reconstruction loss", train())
