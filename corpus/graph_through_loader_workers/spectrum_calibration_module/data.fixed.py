# The dataset of the spectrum classifier: synthetic absorption spectra of three compounds, each
# passed through the instrument's learned wavelength response before it is returned.
import torch
from torch.utils.data import DataLoader, Dataset


class Spectra(Dataset):
    def __init__(self, n, response, seed=0):
        g = torch.Generator().manual_seed(seed)
        grid = torch.linspace(0, 1, 40)
        peaks = torch.tensor([0.2, 0.5, 0.8])
        self.labels = torch.randint(0, 3, (n,), generator=g)
        centre = peaks[self.labels][:, None]
        self.spectra = torch.exp(-((grid - centre) ** 2) / 0.005) + 0.1 * torch.rand(n, 40, generator=g)
        self.response = response

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.response(self.spectra[i]), self.labels[i]


def loader(dataset, batch_size, workers=2):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=0)
