# Classifies noisy sine and square waves with a small MLP. The Dataset applies a fixed random gain
# and jitter to each wave (an augmentation with no parameters), and batches come from workers.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Jitter:
    def __init__(self, scale):
        self.scale = scale

    def __call__(self, wave):
        return wave * (1 + self.scale * torch.randn(())) + self.scale * torch.randn_like(wave)


class Waves(Dataset):
    def __init__(self, n, transform):
        g = torch.Generator().manual_seed(5)
        t = torch.linspace(0, 6.28, 32)
        self.y = torch.randint(0, 2, (n,), generator=g)
        self.waves = torch.where(self.y[:, None] == 0, torch.sin(t), torch.sign(torch.sin(t)))
        self.transform = transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.waves[i]), self.y[i]


if __name__ == "__main__":
    torch.manual_seed(0)
    loader = DataLoader(Waves(256, Jitter(0.1)), batch_size=32, shuffle=True, num_workers=2)
    model = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(3):
        for waves, y in loader:
            loss = nn.functional.cross_entropy(model(waves), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")
