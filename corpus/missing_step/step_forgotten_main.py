import torch
from torch import nn
from torch import optim


class Autoencoder(nn.Module):
    def __init__(self, dim=16, code=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 8), nn.ReLU(), nn.Linear(8, code))
        self.decoder = nn.Sequential(nn.Linear(code, 8), nn.ReLU(), nn.Linear(8, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def main():
    torch.manual_seed(0)
    data = torch.randn(64, 16)

    model = Autoencoder()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.MSELoss()

    for epoch in range(10):
        optimizer.zero_grad()
        recon = model(data)
        loss = criterion(recon, data)
        loss.backward()
        print(f"epoch {epoch}: reconstruction loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
