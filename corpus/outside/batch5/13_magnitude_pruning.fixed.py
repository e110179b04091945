"""Iterative magnitude pruning (lottery-ticket style) of an MLP on synthetic tabular data.
After every epoch the smallest 20% of the remaining weights of each layer are pruned and
the masks are re-applied after every optimizer step."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self, d_in=20, hidden=(64, 32), d_out=3):
        super().__init__()
        dims = (d_in,) + hidden
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], d_out)

    def forward(self, x):
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.out(x)


class PruningTrainer:
    def __init__(self, model, lr=1e-2, prune_rate=0.2):
        self.model = model
        self.prune_rate = prune_rate
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.masks = {name: torch.ones_like(p, dtype=torch.bool)
                      for name, p in model.named_parameters() if p.dim() == 2}

    @torch.no_grad()
    def apply_masks(self):
        for name, p in self.model.named_parameters():
            if name in self.masks:
                p[~self.masks[name]] = 0.0

    def prune_step(self):
        for name, p in self.model.named_parameters():
            if name not in self.masks:
                continue
            alive = p.detach().abs()[self.masks[name]]
            k = int(self.prune_rate * alive.numel())
            if k == 0:
                continue
            threshold = alive.kthvalue(k).values
            self.masks[name] &= p.detach().abs() > threshold
        self.apply_masks()

    def sparsity(self):
        total = sum(m.numel() for m in self.masks.values())
        return 1.0 - sum(m.sum().item() for m in self.masks.values()) / total

    def train_epoch(self, X, y, batch=64):
        self.model.train()
        perm = torch.randperm(X.size(0))
        losses = []
        for i in range(0, X.size(0), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(self.model(X[idx]), y[idx])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.apply_masks()
            losses.append(loss.item())
        return sum(losses) / len(losses)

    def run(self, X, y, rounds=3, epochs_per_round=2):
        for r in range(rounds):
            for e in range(epochs_per_round):
                loss = self.train_epoch(X, y)
            acc = (self.model(X).argmax(1) == y).float().mean().item()
            print(f"round {r} loss {loss:.4f} acc {acc:.3f} sparsity {self.sparsity():.2%}")
            self.prune_step()


def make_data(n=512, d=20, c=3):
    g = torch.Generator().manual_seed(0)
    W = torch.randn(d, c, generator=g)
    X = torch.randn(n, d, generator=g)
    y = (X @ W + 0.3 * torch.randn(n, c, generator=g)).argmax(1)
    return X, y


if __name__ == "__main__":
    torch.manual_seed(0)
    X, y = make_data()
    trainer = PruningTrainer(MLP())
    trainer.run(X, y)
