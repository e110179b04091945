# Classifies absorption spectra by compound with a 1-D CNN, and learns the instrument's wavelength
# response curve at the same time; the dataset and its loader live in data.py.
import torch
from torch import nn

from data import Spectra, loader


class Response(nn.Module):
    def __init__(self, bins):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(bins))

    def forward(self, spectrum):
        return spectrum * self.gain


if __name__ == "__main__":
    torch.manual_seed(0)
    response = Response(40)
    batches = loader(Spectra(300, response), 30)
    model = nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(8), nn.Flatten(), nn.Linear(64, 3))
    optimizer = torch.optim.SGD([*model.parameters(), *response.parameters()], lr=0.05, momentum=0.9)
    for epoch in range(3):
        for spectra, labels in batches:
            loss = nn.functional.cross_entropy(model(spectra[:, None]), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")
