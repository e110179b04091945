# Report: https://discuss.pytorch.org/t/torch-round-gradient/28628
# Summary: the latent code is quantized with torch.round(), whose gradient is zero, so the encoder never changes while the decoder trains (silent).
# Fixed: use a straight-through estimator so the gradient passes the rounding.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

LEVELS = 8


class Encoder(nn.Module):
    def __init__(self, in_dim=64, code_dim=8):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, 32), nn.ReLU(), nn.Linear(32, code_dim))

    def forward(self, x):
        return torch.sigmoid(self.net(x))


class Decoder(nn.Module):
    def __init__(self, code_dim=8, out_dim=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(code_dim, 32), nn.ReLU(), nn.Linear(32, out_dim))

    def forward(self, z):
        return self.net(z)


class QuantizedAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()

    def quantize(self, z):
        # snap every code value to one of LEVELS+1 levels in [0, 1]
        # straight-through estimator: rounded values forward, identity gradient backward
        return z + (torch.round(z * LEVELS) / LEVELS - z).detach()

    def forward(self, x):
        return self.decoder(self.quantize(self.encoder(x)))


def main():
    torch.manual_seed(7)
    basis = torch.randn(8, 64)
    data = torch.rand(1024, 8) @ basis
    loader = DataLoader(TensorDataset(data), batch_size=64, shuffle=True)

    model = QuantizedAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    mse = nn.MSELoss()
    for epoch in range(6):
        epoch_loss = 0.0
        for (xb,) in loader:
            recon = model(xb)
            loss = mse(recon, xb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        print(f"epoch {epoch}: recon mse {epoch_loss / len(loader):.4f}")


if __name__ == "__main__":
    main()
