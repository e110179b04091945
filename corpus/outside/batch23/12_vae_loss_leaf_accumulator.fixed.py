# Report: https://github.com/pytorchbearer/torchbearer/issues/431
# With a None criterion, when add-to-loss callbacks are the only loss modifiers, training fails with
# "a leaf Variable that requires grad is being used in an in-place operation".
"""A small callback-driven trainer used to fit a VAE whose loss terms all come from callbacks."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class VAE(nn.Module):
    def __init__(self, in_dim=64, hidden=128, latent=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_dim))

    def forward(self, x, state):
        h = self.encoder(x)
        mu, logvar = self.to_mu(h), self.to_logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        state["mu"], state["logvar"] = mu, logvar
        return self.decoder(z)


class Callback:
    def on_criterion(self, state):
        pass

    def on_end_epoch(self, state):
        pass


class AddToLoss(Callback):
    def __init__(self, fn, name):
        self.fn, self.name = fn, name

    def on_criterion(self, state):
        term = self.fn(state)
        state["metrics"][self.name] = state["metrics"].get(self.name, 0.0) + term.item()
        state["loss"] = state["loss"] + term


class KLAnneal(Callback):
    def __init__(self, warmup_epochs):
        self.warmup = warmup_epochs

    def on_end_epoch(self, state):
        state["beta"] = min(1.0, (state["epoch"] + 1) / self.warmup)


def recon_term(state):
    return F.mse_loss(state["y_pred"], state["x"], reduction="sum") / len(state["x"])


def kl_term(state):
    mu, logvar = state["mu"], state["logvar"]
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1).mean()
    return state["beta"] * kl


class Trial:
    def __init__(self, model, optimizer, criterion=None, callbacks=()):
        self.model, self.optimizer, self.callbacks = model, optimizer, list(callbacks)
        if criterion is None:
            def criterion(state):
                return torch.zeros(1, device=DEVICE, requires_grad=True)
        self.criterion = criterion
        self.state = {"beta": 0.0}

    def run(self, loader, val_loader, epochs):
        for epoch in range(epochs):
            self.state.update(epoch=epoch, metrics={})
            self.model.train()
            for (x,) in loader:
                x = x.to(DEVICE)
                self.state["x"] = x
                self.optimizer.zero_grad()
                self.state["y_pred"] = self.model(x, self.state)
                self.state["loss"] = self.criterion(self.state)
                for cb in self.callbacks:
                    cb.on_criterion(self.state)
                self.state["loss"].backward()
                self.optimizer.step()
            for cb in self.callbacks:
                cb.on_end_epoch(self.state)
            metrics = {k: v / len(loader) for k, v in self.state["metrics"].items()}
            print(f"epoch {epoch}: " + "  ".join(f"{k} {v:.3f}" for k, v in metrics.items())
                  + f"  val recon {self.evaluate(val_loader):.3f}")

    @torch.no_grad()
    def evaluate(self, loader):
        self.model.eval()
        total = 0.0
        for (x,) in loader:
            x = x.to(DEVICE)
            total += F.mse_loss(self.model(x, {}), x, reduction="sum").item()
        return total / len(loader.dataset)


def make_data(n, seed):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 4, generator=g)
    mix = torch.randn(4, 64, generator=torch.Generator().manual_seed(5))
    return torch.tanh(z @ mix) + 0.05 * torch.randn(n, 64, generator=g)


train_loader = DataLoader(TensorDataset(make_data(2048, 1)), batch_size=64, shuffle=True)
val_loader = DataLoader(TensorDataset(make_data(256, 2)), batch_size=128)
vae = VAE().to(DEVICE)
opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
trial = Trial(vae, opt, criterion=None,
              callbacks=[AddToLoss(recon_term, "recon"), AddToLoss(kl_term, "kl"), KLAnneal(3)])
trial.run(train_loader, val_loader, epochs=5)
