# Physics-informed network for a damped oscillator u'' + c u' + k u = 0 with u(0) = 1, u'(0) = 0:
# the network is warm-started from the weights of an earlier, coarser fit and trained further with
# Adam on the ODE residual at random collocation points plus the initial conditions.
import torch
from torch import nn

torch.manual_seed(0)
DAMPING, STIFFNESS = 0.4, 4.0


class OscillatorNet(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1),
        )

    def forward(self, t):
        return self.net(t)

    @classmethod
    def from_checkpoint(cls, path_or_state, requires_grad=False, **kwargs):
        state = torch.load(path_or_state) if isinstance(path_or_state, str) else path_or_state
        model = cls(**kwargs)
        model.load_state_dict(state)
        for p in model.parameters():
            p.requires_grad = requires_grad
        return model


def derivative(y, t):
    return torch.autograd.grad(y, t, torch.ones_like(y), create_graph=True)[0]


def physics_loss(model, t):
    u = model(t)
    du = derivative(u, t)
    d2u = derivative(du, t)
    residual = d2u + DAMPING * du + STIFFNESS * u
    t0 = torch.zeros(1, 1, requires_grad=True)
    u0 = model(t0)
    du0 = derivative(u0, t0)
    return residual.pow(2).mean() + (u0 - 1).pow(2).sum() + du0.pow(2).sum()


coarse_fit = OscillatorNet().state_dict()
model = OscillatorNet.from_checkpoint(coarse_fit)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(60):
    t = (torch.rand(64, 1) * 5.0).requires_grad_(True)
    loss = physics_loss(model, t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step} physics loss {loss.item():.5f}")
