# A one-or-few-step generator of Lorenz-96 states, learned as a flow map by Lagrangian
# self-distillation: the diagonal of the map is fitted by flow matching from Gaussian noise to
# simulated states, and off the diagonal the map's time derivative, taken with a Jacobian-vector
# product, is matched to the velocity the diagonal predicts at the map's output.
import torch
from torch.func import jvp

from flowmap import FlowMapTransformer

torch.manual_seed(0)
SITES, FORCING, DT = 20, 8.0, 0.01


def lorenz96(x):
    return (torch.roll(x, -1, dims=-1) - torch.roll(x, 2, dims=-1)) * torch.roll(x, 1, dims=-1) - x + FORCING


def simulate(n, steps=300):
    x = FORCING + torch.randn(n, SITES)
    for _ in range(steps):
        k1 = lorenz96(x)
        k2 = lorenz96(x + 0.5 * DT * k1)
        k3 = lorenz96(x + 0.5 * DT * k2)
        x = x + DT / 6 * (k1 + 2 * k2 + 2 * k3 + lorenz96(x + DT * k3))
    return x


states = simulate(512)
states = (states - states.mean()) / states.std()
model = FlowMapTransformer(SITES)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


def flow_map(x, s, t):
    return x + (t - s)[:, None] * model(x, s, t)


for step in range(20):
    data = states[torch.randint(0, 512, (32,))]
    noise = torch.randn_like(data)
    s, t = torch.rand(32, 2).sort(dim=1).values.unbind(dim=1)
    xt = (1 - t)[:, None] * noise + t[:, None] * data
    matching = ((model(xt, t, t) - (data - noise)) ** 2).mean()
    xs = (1 - s)[:, None] * noise + s[:, None] * data
    x_st, dx_dt = jvp(lambda end: flow_map(xs, s, end), (t,), (torch.ones_like(t),))
    with torch.no_grad():
        velocity = model(x_st, t, t)
    distillation = ((dx_dt - velocity) ** 2).mean()
    loss = matching + distillation
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"matching {matching.item():.4f}  distillation {distillation.item():.4f}")
