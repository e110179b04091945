# Report: https://github.com/SimonThomine/RememberingNormality/issues/7
# Summary: memory keys/values are plain tensors (torch.randn(...).to(device)) instead of nn.Parameter, so they keep their random values forever (silent).
# Fixed: register the memory keys/values as nn.Parameter.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cpu")


class NormalityMemory(nn.Module):
    def __init__(self, slots, channel):
        super().__init__()
        self.keys = nn.Parameter(torch.randn(slots, channel, device=device))
        self.values = nn.Parameter(torch.randn(slots, channel, device=device))

    def forward(self, q):
        attn = F.softmax(q @ self.keys.t() / q.shape[-1] ** 0.5, dim=-1)
        return attn @ self.values


class MemoryAE(nn.Module):
    def __init__(self, in_dim=40, channel=24, slots=16):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, 64), nn.ReLU(), nn.Linear(64, channel))
        self.memory = NormalityMemory(slots, channel)
        self.decoder = nn.Sequential(nn.Linear(2 * channel, 64), nn.ReLU(), nn.Linear(64, in_dim))

    def forward(self, x):
        q = self.encoder(x)
        recalled = self.memory(q)
        return self.decoder(torch.cat([q, recalled], dim=-1))


class Trainer:
    def __init__(self, epochs=5, lr=1e-3):
        self.model = MemoryAE().to(device)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=0.0)
        self.epochs = epochs

    def run(self, loader):
        for epoch in range(self.epochs):
            self.model.train()
            total = 0.0
            for (x,) in loader:
                x = x.to(device)
                loss = F.mse_loss(self.model(x), x)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                total += loss.item()
            print(f"[epoch {epoch + 1}/{self.epochs}] loss={total / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(8)
    normal_samples = torch.randn(600, 40) * 0.5 + torch.linspace(-1, 1, 40)
    Trainer().run(DataLoader(TensorDataset(normal_samples), batch_size=50, shuffle=True))
