"""Keyword spotting on raw waveforms with a learned filterbank front end (SincNet-like). forward()
filters the waveform and returns the filtered signal for plotting, but the encoder reads the raw
waveform: the front end never trains."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class KeywordSpotter(nn.Module):
    def __init__(self, n_keywords=4):
        super().__init__()
        self.frontend = nn.Conv1d(1, 1, kernel_size=31, padding=15, bias=False)
        self.encoder = nn.Sequential(
            nn.Conv1d(1, 16, 9, stride=4), nn.ReLU(), nn.Conv1d(16, 32, 9, stride=4), nn.ReLU(),
            nn.AdaptiveMaxPool1d(1), nn.Flatten(),
        )
        self.head = nn.Linear(32, n_keywords)

    def forward(self, wave):
        filtered = self.frontend(wave)
        feats = self.encoder(wave)
        return self.head(feats), filtered


def run_epoch(model, loader, optimizer):
    model.train()
    for wave, keyword in loader:
        logits, filtered = model(wave)
        loss = nn.functional.cross_entropy(logits, keyword)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(11)
    keywords = torch.randint(0, 4, (96,))
    t = torch.linspace(0, 1, 800)
    waves = torch.sin(2 * torch.pi * (5 + 10 * keywords[:, None]) * t)[:, None, :] + 0.3 * torch.randn(96, 1, 800)
    loader = DataLoader(TensorDataset(waves, keywords), batch_size=16, shuffle=True)
    model = KeywordSpotter()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(3):
        print(epoch, run_epoch(model, loader, optimizer))
