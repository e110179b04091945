import torch
from torch import nn


class MLP(nn.Module):
    def __int__(self, in_features, hidden, out_features):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_features),
        )

    def forward(self, x):
        return self.layers(x)


def train(model, data, targets, epochs=5):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(data), targets)
        loss.backward()
        optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    data = torch.randn(128, 3)
    targets = data.pow(2).sum(dim=1, keepdim=True)
    train(MLP(3, 64, 1), data, targets)
