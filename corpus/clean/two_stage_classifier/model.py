import torch.nn as nn


class AutoencoderClassifier(nn.Module):
    def __init__(self, d_in=20, d_z=8, n_cls=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, 32), nn.ReLU(), nn.Linear(32, d_z))
        self.decoder = nn.Sequential(nn.Linear(d_z, 32), nn.ReLU(), nn.Linear(32, d_in))
        self.classifier = nn.Linear(d_z, n_cls)

    def forward(self, x):
        return self.encoder(x)
