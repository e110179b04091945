# System identification of a damped pendulum with a neural ODE: a small MLP learns the drift of
# (angle, velocity), one trajectory is integrated with Heun steps from its initial state, and the
# integrator is mapped over a batch of initial states with vmap. Adam fits the simulated paths.
import torch as th
from torch import nn
from torch.func import functional_call, vmap

STEPS, DT = 15, 0.1

th.manual_seed(0)


def true_drift(state):
    angle, velocity = state[..., 0], state[..., 1]
    return th.stack([velocity, -9.81 * th.sin(angle) - 0.3 * velocity], dim=-1)


def simulate(x0):
    path, state = [], x0
    for _ in range(STEPS):
        k1 = true_drift(state)
        state = state + DT * 0.5 * (k1 + true_drift(state + DT * k1))
        path.append(state)
    return th.stack(path, dim=-2)


drift = nn.Sequential(nn.Linear(2, 48), nn.Tanh(), nn.Linear(48, 2))


def rollout(drift_params, x0):
    """Integrate one trajectory of the learned drift from x0; returns its (STEPS, 2) path."""
    state = x0.new_empty(2)
    state.copy_(x0)
    path = []
    for _ in range(STEPS):
        k1 = functional_call(drift, drift_params, (state,))
        k2 = functional_call(drift, drift_params, (state + DT * k1,))
        state = state + DT * 0.5 * (k1 + k2)
        path.append(state)
    return th.stack(path)


batched_rollout = vmap(rollout, in_dims=(None, 0))
optimizer = th.optim.Adam(drift.parameters(), lr=3e-3)
x0_all = th.stack([th.empty(256).uniform_(-2.0, 2.0), th.empty(256).uniform_(-1.5, 1.5)], dim=1)
paths_all = simulate(x0_all)

for step in range(30):
    idx = th.randint(0, 256, (32,))
    pred = batched_rollout(dict(drift.named_parameters()), x0_all[idx])
    loss = (pred - paths_all[idx]).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: trajectory mse {loss.item():.4f}")
