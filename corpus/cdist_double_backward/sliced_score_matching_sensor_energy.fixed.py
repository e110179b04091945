"""Energy-based anomaly scoring for a bank of four correlated sensors, trained with sliced score
matching (Song et al., 2019). The energy is a log-sum-exp over learned Gaussian prototypes of
normal operation, plus a small quadratic confinement term; the score is -dE/dx, and the loss
needs its Jacobian along random projections."""
import torch
from torch import nn
from torch.autograd import grad

CFG = {
    "n_sensors": 4,
    "n_prototypes": 32,
    "batch_size": 64,
    "n_projections": 2,
    "lr": 3e-3,
    "epochs": 6,
    "batches_per_epoch": 40,
    "seed": 7,
}


def make_sensor_data(n, dim, generator):
    """Three operating regimes, each a correlated Gaussian."""
    means = torch.tensor([[0.0, 0.0, 0.0, 0.0], [2.5, 1.0, -1.0, 0.5], [-1.5, 2.0, 1.5, -2.0]])
    mix = torch.randint(0, 3, (n,), generator=generator)
    mixing = torch.randn(dim, dim, generator=generator) * 0.3 + torch.eye(dim) * 0.5
    noise = torch.randn(n, dim, generator=generator) @ mixing
    return means[mix] + noise


class PrototypeEnergy(nn.Module):
    def __init__(self, dim, n_prototypes):
        super().__init__()
        self.prototypes = nn.Parameter(torch.randn(n_prototypes, dim) * 1.5)
        self.log_scale = nn.Parameter(torch.zeros(n_prototypes))
        self.logit_weight = nn.Parameter(torch.zeros(n_prototypes))

    def forward(self, x):
        d = torch.cdist(x, self.prototypes, compute_mode="use_mm_for_euclid_dist")
        log_p = torch.log_softmax(self.logit_weight, 0) - 0.5 * (d * torch.exp(-self.log_scale)).pow(2)
        return -torch.logsumexp(log_p, dim=1) + 0.01 * x.pow(2).sum(1)


def sliced_score_loss(energy, x, n_projections):
    x = x.repeat(n_projections, 1).requires_grad_(True)
    v = torch.randn_like(x)
    score = -grad(energy(x).sum(), x, create_graph=True)[0]
    sv = (score * v).sum()
    jvp = grad(sv, x, create_graph=True)[0]
    loss = (jvp * v).sum(1) + 0.5 * (score * v).sum(1).pow(2)
    return loss.mean()


def train(cfg):
    gen = torch.Generator().manual_seed(cfg["seed"])
    torch.manual_seed(cfg["seed"])
    data = make_sensor_data(cfg["batch_size"] * cfg["batches_per_epoch"], cfg["n_sensors"], gen)
    data = (data - data.mean(0)) / data.std(0)

    energy = PrototypeEnergy(cfg["n_sensors"], cfg["n_prototypes"])
    optimizer = torch.optim.Adam(energy.parameters(), lr=cfg["lr"])

    for epoch in range(cfg["epochs"]):
        perm = torch.randperm(len(data), generator=gen)
        running = 0.0
        for i in range(cfg["batches_per_epoch"]):
            batch = data[perm[i * cfg["batch_size"]:(i + 1) * cfg["batch_size"]]]
            loss = sliced_score_loss(energy, batch, cfg["n_projections"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}: ssm loss {running / cfg['batches_per_epoch']:.4f}")

    with torch.no_grad():
        normal = energy(data[:200]).mean().item()
        faulty = energy(data[:200] + 3.0).mean().item()
    print(f"mean energy: normal {normal:.3f}, shifted {faulty:.3f}")


if __name__ == "__main__":
    train(CFG)
