"""Denoising autoencoder on synthetic signals. The optimizer is a small AdamW subclass that keeps
a warm-up factor in each group; it is given its parameters by keyword."""
import torch
import torch.nn as nn
import torch.optim as topt
from torch.utils.data import DataLoader, TensorDataset


class WarmupAdamW(topt.AdamW):
    """AdamW whose learning rate ramps up linearly over the first `warmup` steps."""

    def __init__(self, params, lr=1e-3, warmup=50, **kwargs):
        super().__init__(params, lr=lr, **kwargs)
        self.warmup, self.base_lr, self.t = warmup, lr, 0

    def step(self, closure=None):
        self.t += 1
        for group in self.param_groups:
            group["lr"] = self.base_lr * min(1.0, self.t / self.warmup)
        return super().step(closure)


def encoder_net(width):
    return nn.Sequential(nn.Linear(32, width), nn.Tanh(), nn.Linear(width, 8))


def decoder_net(width):
    return nn.Sequential(nn.Linear(8, width), nn.Tanh(), nn.Linear(width, 32))


def fit(encoder, decoder, optimizer, loader, epochs):
    for epoch in range(epochs):
        total = 0.0
        for (clean,) in loader:
            noisy = clean + 0.2 * torch.randn_like(clean)
            recon = decoder(encoder(noisy))
            loss = ((recon - clean) ** 2).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: {total / len(loader):.4f}")


def main():
    torch.manual_seed(3)
    t = torch.linspace(0, 6.28, 32)
    signals = torch.stack([torch.sin(t * f + p) for f, p in torch.rand(400, 2) * 3])
    loader = DataLoader(TensorDataset(signals), batch_size=50, shuffle=True)
    encoder, decoder = encoder_net(64), decoder_net(64)
    optimizer = WarmupAdamW(params=encoder.parameters(), lr=2e-3, warmup=20, weight_decay=1e-4)
    fit(encoder, decoder, optimizer, loader, epochs=5)


if __name__ == "__main__":
    main()
