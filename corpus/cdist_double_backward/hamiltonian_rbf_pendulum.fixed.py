"""Hamiltonian neural network for a noisy pendulum. The Hamiltonian H(q, p) is a radial basis
expansion over learned centres in phase space; the vector field is its symplectic gradient
(dq/dt = dH/dp, dp/dt = -dH/dq), fitted to measured time derivatives. Small batches of
measurements, as they come off the rig."""
import torch
from torch import nn


def pendulum_measurements(n, noise=0.05, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = (torch.rand(n, generator=g) * 2 - 1) * 2.5
    p = (torch.rand(n, generator=g) * 2 - 1) * 2.0
    dq = p + noise * torch.randn(n, generator=g)
    dp = -torch.sin(q) + noise * torch.randn(n, generator=g)
    return torch.stack([q, p], 1), torch.stack([dq, dp], 1)


def rbf_features(states, centres, log_bandwidth):
    r = torch.cdist(
        states,
        centres,
        compute_mode="use_mm_for_euclid_dist",
    )
    return torch.exp(-(r * torch.exp(-log_bandwidth)) ** 2)


class RBFHamiltonian(nn.Module):
    def __init__(self, n_centres=20):
        super().__init__()
        grid_q, grid_p = torch.meshgrid(torch.linspace(-2.5, 2.5, 5), torch.linspace(-2, 2, 4), indexing="ij")
        self.centres = nn.Parameter(torch.stack([grid_q.flatten(), grid_p.flatten()], 1)[:n_centres].clone())
        self.log_bandwidth = nn.Parameter(torch.zeros(n_centres))
        self.weights = nn.Parameter(torch.zeros(n_centres))
        self.quadratic = nn.Parameter(torch.tensor([0.1, 0.1]))

    def forward(self, states):
        phi = rbf_features(states, self.centres, self.log_bandwidth)
        return phi @ self.weights + (self.quadratic * states ** 2).sum(1)

    def vector_field(self, states):
        states = states.requires_grad_(True)
        dH = torch.autograd.grad(self(states).sum(), states, create_graph=True)[0]
        return torch.stack([dH[:, 1], -dH[:, 0]], 1)


class Trainer:
    def __init__(self, model, lr=1e-2, batch_size=20):
        self.model = model
        self.batch_size = batch_size
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(self, states, targets):
        pred = self.model.vector_field(states.clone())
        loss = nn.functional.mse_loss(pred, targets)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, states, targets, epochs):
        n = len(states)
        for epoch in range(epochs):
            order = torch.randperm(n)
            losses = []
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                losses.append(self.step(states[idx], targets[idx]))
            if epoch % 5 == 0 or epoch == epochs - 1:
                print(f"epoch {epoch:3d}  derivative mse {sum(losses) / len(losses):.5f}")


def energy_drift(model, q0=1.0, p0=0.0, dt=0.05, steps=200):
    s = torch.tensor([[q0, p0]])
    h0 = model(s).item()
    for _ in range(steps):
        s = (s + dt * model.vector_field(s)).detach()
    return abs(model(s).item() - h0)


if __name__ == "__main__":
    torch.manual_seed(1)
    states, targets = pendulum_measurements(400)
    model = RBFHamiltonian()
    Trainer(model).fit(states, targets, epochs=25)
    print(f"learned-energy drift over 200 Euler steps: {energy_drift(model):.4f}")
