"""A learnable filterbank front-end applied per clip by a helper method of the Dataset, which
`__getitem__` calls; the helper wraps it in no_grad, so the filterbank the optimizer holds never
gets a gradient."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Filterbank(nn.Module):
    def __init__(self, bands=6, width=9):
        super().__init__()
        self.filters = nn.Conv1d(1, bands, width, padding=width // 2)

    def forward(self, wave):
        return self.filters(wave.unsqueeze(0)).abs().mean(dim=-1)


class Clips(Dataset):
    def __init__(self, waves, labels, frontend):
        self.waves, self.labels, self.frontend = waves, labels, frontend

    def __len__(self):
        return len(self.waves)

    def features(self, wave):
        wave = wave - wave.mean()
        bands = self.frontend(wave.unsqueeze(0))
        return bands.squeeze(0)

    def __getitem__(self, index):
        return self.features(self.waves[index]), self.labels[index]


frontend = Filterbank()
classifier = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
waves = torch.randn(48, 64)
labels = torch.randint(0, 3, (48,))
loader = DataLoader(Clips(waves, labels, frontend), batch_size=12, shuffle=True)
optimizer = torch.optim.Adam([*frontend.parameters(), *classifier.parameters()], lr=1e-2)

for epoch in range(3):
    for bands, label in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(classifier(bands), label)
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
