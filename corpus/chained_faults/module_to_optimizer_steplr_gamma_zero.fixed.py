# Denoising autoencoder for 8x8 digit-like patches, trained with SGD and a step decay.
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class PatchDenoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(24, 64), nn.Sigmoid(), nn.Unflatten(1, (1, 8, 8)))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class DenoiseTrainer:
    def __init__(self, model, lr=0.5, decay_every=1):
        self.model = model
        self.optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        # a short run: keep the rate flat (no decay)
        self.scheduler = StepLR(self.optimizer, step_size=decay_every, gamma=1)

    def fit(self, clean, epochs=6, batch=50):
        for epoch in range(epochs):
            perm = torch.randperm(clean.size(0))
            for i in range(0, clean.size(0), batch):
                target = clean[perm[i:i + batch]]
                noisy = (target + 0.3 * torch.randn_like(target)).clamp(0, 1)
                self.optimizer.zero_grad()
                loss = nn.functional.binary_cross_entropy(self.model(noisy), target)
                loss.backward()
                self.optimizer.step()
            self.scheduler.step()
            print(f"epoch {epoch}: bce {loss.item():.4f} lr {self.scheduler.get_last_lr()[0]:.3g}")


torch.manual_seed(1)
patches = (torch.rand(400, 1, 8, 8) > 0.7).float()
DenoiseTrainer(PatchDenoiser()).fit(patches)
