"""A Hamiltonian neural network for a mass on a spring: the network learns H(q, p), the
dynamics are its symplectic gradient (dq/dt = dH/dp, dp/dt = -dH/dq) taken with
create_graph=True, and the loss compares them with the observed time derivatives. The energy
is computed by a compiled helper function."""
import torch
from torch import nn

torch.manual_seed(0)

hamiltonian_net = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(),
                                nn.Linear(64, 1, bias=False))  # H is defined up to a constant


@torch.compile(backend="aot_eager")
def energy(q, p):
    return hamiltonian_net(torch.stack([q, p], dim=1)).squeeze(1)


def symplectic_field(q, p):
    q, p = q.requires_grad_(True), p.requires_grad_(True)
    dH_dq, dH_dp = torch.autograd.grad(energy(q, p).sum(), (q, p), create_graph=True)
    return dH_dp, -dH_dq


# A spring with k = m = 1: H = (q^2 + p^2) / 2, so dq/dt = p and dp/dt = -q, observed with noise.
q_obs, p_obs = torch.randn(1000), torch.randn(1000)
dq_obs, dp_obs = p_obs + 0.01 * torch.randn(1000), -q_obs + 0.01 * torch.randn(1000)
optimizer = torch.optim.Adam(hamiltonian_net.parameters(), lr=1e-3)

for step in range(200):
    idx = torch.randint(0, 1000, (128,))
    dq, dp = symplectic_field(q_obs[idx].clone(), p_obs[idx].clone())
    loss = ((dq - dq_obs[idx]) ** 2 + (dp - dp_obs[idx]) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}: {loss.item():.5f}")
