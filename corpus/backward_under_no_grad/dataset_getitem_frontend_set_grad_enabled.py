"""Keyword spotting: the Dataset runs a learned filterbank over each waveform with gradients
switched off, and also draws the noise it mixes in there; the filterbank is trained with the
model (the Trainer builds one optimizer over both)."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Clips(Dataset):
    def __init__(self, waves, words, filterbank):
        self.waves = waves
        self.words = words
        self.filterbank = filterbank

    def __len__(self):
        return len(self.waves)

    def __getitem__(self, index):
        wave = self.waves[index]
        with torch.set_grad_enabled(False):
            noise = 0.01 * torch.randn_like(wave)
            bands = self.filterbank((wave + noise).unsqueeze(0)).abs()
        return bands, self.words[index]


class Trainer:
    def __init__(self, model, filterbank, loader):
        self.model = model
        self.loader = loader
        self.optimizer = torch.optim.Adam([*model.parameters(), *filterbank.parameters()], lr=3e-3)

    def fit(self, epochs):
        for epoch in range(epochs):
            for bands, words in self.loader:
                loss = nn.functional.cross_entropy(self.model(bands), words)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(epoch, round(loss.item(), 4))


filterbank = nn.Conv1d(1, 8, kernel_size=9, stride=4)
model = nn.Sequential(nn.Conv1d(8, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, 3))
waves = torch.randn(48, 200)
words = torch.randint(0, 3, (48,))
Trainer(model, filterbank, DataLoader(Clips(waves, words, filterbank), batch_size=12)).fit(2)
