# Denoising autoencoder for tabular rows: encoder and decoder are sized from the first batch it
# sees (the decoder must give back as many features as came in). Noise is drawn per batch.
import torch
import torch.nn as nn
import torch.nn.functional as F


class RowAutoencoder(nn.Module):
    def __init__(self, code=8):
        super().__init__()
        self.code = code
        self.bottleneck = nn.Sequential(nn.Linear(code, code), nn.Tanh())
        self.encoder = None
        self.decoder = None

    def forward(self, x):
        if self.encoder is None:
            self.encoder = nn.Sequential(nn.Linear(x.shape[1], 32), nn.ReLU(), nn.Linear(32, self.code))
            self.decoder = nn.Sequential(nn.Linear(self.code, 32), nn.ReLU(), nn.Linear(32, x.shape[1]))
        return self.decoder(self.bottleneck(self.encoder(x)))


def main():
    torch.manual_seed(11)
    rows = torch.randn(512, 20) @ torch.randn(20, 20) * 0.3
    model = RowAutoencoder()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for epoch in range(3):
        total = 0.0
        for batch in rows.split(64):
            noisy = batch + 0.2 * torch.randn_like(batch)
            recon = model(noisy)
            loss = F.mse_loss(recon, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: {total / 8:.4f}")


if __name__ == "__main__":
    main()
