# Trains a small keyword-spotting model on synthetic log-mel spectrograms (three tone patterns plus
# noise). A learned augmentation, a per-band gain and a time-smoothing filter, reshapes every
# spectrogram as it is loaded and is optimised with the classifier. A Trainer class builds the loader
# from a config dict.
import torch
import torch.nn as nn
import torch.utils.data as tud

CONFIG = {"batch_size": 24, "num_workers": 2, "epochs": 3, "lr": 2e-3, "bands": 20, "frames": 32}


class LearnedSpecAugment(nn.Module):
    def __init__(self, bands):
        super().__init__()
        self.band_gain = nn.Parameter(torch.zeros(bands, 1))
        self.smooth = nn.Conv1d(bands, bands, kernel_size=3, padding=1, groups=bands)

    def forward(self, spec):
        spec = spec * torch.sigmoid(self.band_gain) * 2
        return spec + self.smooth(spec[None])[0]


class SpectrogramSet(tud.Dataset):
    def __init__(self, n, bands, frames, augment):
        g = torch.Generator().manual_seed(7)
        self.labels = torch.randint(0, 3, (n,), generator=g)
        t = torch.linspace(0, 1, frames)
        rows = torch.arange(bands)[:, None].float()
        centres = torch.tensor([4.0, 10.0, 15.0])[self.labels][:, None, None] + 3 * t * (self.labels[:, None, None] - 1)
        self.specs = torch.exp(-(rows - centres) ** 2 / 4) + 0.2 * torch.randn(n, bands, frames, generator=g)
        self.augment = augment

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.augment(self.specs[i]), self.labels[i]


class Trainer:
    def __init__(self, config):
        self.config = config
        self.augment = LearnedSpecAugment(config["bands"])
        self.model = nn.Sequential(nn.Conv1d(config["bands"], 32, 5, padding=2), nn.GELU(),
                                   nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(32, 3))
        params = list(self.model.parameters()) + list(self.augment.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=config["lr"])

    def build_loader(self, n):
        dataset = SpectrogramSet(n, self.config["bands"], self.config["frames"], self.augment)
        return tud.DataLoader(
            dataset,
            batch_size=self.config["batch_size"],
            shuffle=True,
            drop_last=True,
            num_workers=self.config["num_workers"],
        )

    def fit(self):
        loader = self.build_loader(240)
        for epoch in range(self.config["epochs"]):
            total = 0.0
            for specs, labels in loader:
                loss = nn.functional.cross_entropy(self.model(specs), labels)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                total += loss.item()
            print(f"epoch {epoch}: mean loss {total / len(loader):.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    Trainer(CONFIG).fit()
