import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, in_dim, latent):
        super().__init__()
        self.fc = nn.Linear(in_dim, 64)
        self.mu = nn.Linear(64, latent)

    def forward(self, x):
        return self.mu(self.fc(x).relu())


class Decoder(nn.Module):
    def __init__(self, latent, out_dim):
        super().__init__()
        self.fc = nn.Linear(latent, 64)
        self.out = nn.Linear(64, out_dim)

    def forward(self, z):
        return self.out(self.fc(z).relu())
