import torch
import torch.nn as nn
from torch.optim import AdamW


class Autoencoder(nn.Module):
    def __init__(self, dim=24, code=6):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, code))
        self.decoder = nn.Sequential(nn.Linear(code, 16), nn.ReLU(), nn.Linear(16, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class Trainer:
    def __init__(self, model, lr=2e-3):
        self.model = model
        self.optimizer = AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
        self.criterion = nn.MSELoss()

    def train_step(self, batch):
        self.optimizer.zero_grad()
        reconstruction = self.model(batch)
        loss = self.criterion(reconstruction, batch)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, data, epochs=3, batch_size=32):
        for epoch in range(epochs):
            for start in range(0, len(data), batch_size):
                loss = self.train_step(data[start : start + batch_size])
            print(f"epoch {epoch}: reconstruction loss {loss:.4f}")


if __name__ == "__main__":
    torch.manual_seed(7)
    Trainer(Autoencoder()).fit(torch.randn(256, 24))
