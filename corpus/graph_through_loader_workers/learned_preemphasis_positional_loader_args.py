# Classifies synthetic tones (low hum, whistle, chirp) from short waveforms. A learnable
# pre-emphasis filter sharpens the high band before a small 1-D CNN; it is trained with the
# classifier. The loaders are built with positional arguments, as in older tutorials.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class PreEmphasis(nn.Module):
    def __init__(self):
        super().__init__()
        self.coef = nn.Parameter(torch.tensor(0.5))
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, wave):
        emphasised = torch.cat([wave[:1], wave[1:] - self.coef * wave[:-1]])
        return self.scale * emphasised


class Tones(Dataset):
    def __init__(self, n, seed, transform):
        g = torch.Generator().manual_seed(seed)
        t = torch.arange(256) / 256
        self.labels = torch.randint(0, 3, (n,), generator=g)
        freq = torch.tensor([4.0, 40.0, 12.0])[self.labels]
        chirp = (self.labels == 2).float()[:, None] * 30 * t
        self.waves = torch.sin(2 * math.pi * (freq[:, None] + chirp) * t) + 0.3 * torch.randn(n, 256, generator=g)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.waves[i]).unsqueeze(0), self.labels[i]


class ToneNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 8, 9, stride=2)
        self.conv2 = nn.Conv1d(8, 16, 9, stride=2)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.fc(x.mean(-1))


def main():
    torch.manual_seed(0)
    emphasis = PreEmphasis()
    train_loader = DataLoader(Tones(320, 1, emphasis), 32, True, None, None, 2)
    val_loader = DataLoader(Tones(96, 2, emphasis), 48, False, None, None, 2)
    model = ToneNet()
    optimizer = torch.optim.Adam([*model.parameters(), *emphasis.parameters()], lr=3e-3)

    for epoch in range(3):
        model.train()
        for waves, labels in train_loader:
            loss = F.cross_entropy(model(waves), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for waves, labels in val_loader:
                correct += (model(waves).argmax(1) == labels).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / 96:.2f} coef {emphasis.coef.item():.3f}")


if __name__ == "__main__":
    main()
