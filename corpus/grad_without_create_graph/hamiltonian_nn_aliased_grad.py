"""A Hamiltonian neural network (Greydanus et al.) for an ideal mass-spring system: the network
learns a scalar H(q, p), and the predicted dynamics are its symplectic gradient,
dq/dt = dH/dp and dp/dt = -dH/dq. The loss compares them with the observed derivatives."""
import torch
from torch import nn
from torch.autograd import grad as derivative

torch.manual_seed(0)


def spring_data(n):
    energy = torch.rand(n, 1) * 0.8 + 0.2
    phase = torch.rand(n, 1) * 2 * torch.pi
    q, p = energy.sqrt() * torch.cos(phase), energy.sqrt() * torch.sin(phase)
    states = torch.cat([q, p], dim=1) + 0.01 * torch.randn(n, 2)
    derivs = torch.cat([p, -q], dim=1)
    return states, derivs


class HNN(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.energy = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                    nn.Linear(hidden, 1, bias=False))  # a constant in H moves nothing

    def forward(self, states):
        states = states.requires_grad_(True)
        h = self.energy(states)
        (dh,) = derivative(h.sum(), states)
        dh_dq, dh_dp = dh[:, :1], dh[:, 1:]
        return torch.cat([dh_dp, -dh_dq], dim=1)


states, derivs = spring_data(1000)
model = HNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(30):
    perm = torch.randperm(1000)
    for i in range(0, 1000, 100):
        idx = perm[i:i + 100]
        loss = ((model(states[idx].clone()) - derivs[idx]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.5f}")
