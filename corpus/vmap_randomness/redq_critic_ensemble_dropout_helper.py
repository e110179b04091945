# Fitted Q evaluation for a small continuous-control task: an ensemble of five Q-critics with
# dropout and layer norm (as in DroQ / REDQ) is stacked with torch.func and evaluated in one
# vectorised call. The critics regress a bootstrapped target built from a slowly updated copy
# of their own weights on a synthetic replay buffer of random transitions.
import copy

import torch
import torch.func as tf
import torch.nn as nn
import torch.nn.functional as F

OBS, ACT, HIDDEN, N_CRITICS = 5, 2, 32, 5
GAMMA, TAU = 0.9, 0.05


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(OBS + ACT, HIDDEN), nn.Dropout(0.05), nn.LayerNorm(HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.Dropout(0.05), nn.LayerNorm(HIDDEN), nn.ReLU(),
            nn.Linear(HIDDEN, 1),
        )

    def forward(self, obs, act):
        return self.net(torch.cat([obs, act], dim=-1)).squeeze(-1)


torch.manual_seed(3)
n = 2048
obs = torch.randn(n, OBS)
act = torch.rand(n, ACT) * 2 - 1
next_obs = 0.9 * obs + 0.2 * act.repeat(1, 3)[:, :OBS] + 0.05 * torch.randn(n, OBS)
reward = -obs.pow(2).sum(-1) * 0.1 - 0.05 * act.pow(2).sum(-1)
next_act = torch.tanh(-next_obs[:, :ACT])  # the evaluated policy

critics = [Critic() for _ in range(N_CRITICS)]
params, buffers = tf.stack_module_state(critics)
target_params = {k: v.detach().clone() for k, v in params.items()}
skeleton = copy.deepcopy(critics[0]).to("meta")


def one_critic(p, b, o, a):
    return tf.functional_call(skeleton, (p, b), (o, a))


def ensemble_q(p, o, a):
    """Q-values of every critic, shape [N_CRITICS, batch]."""
    return tf.vmap(one_critic, in_dims=(0, 0, None, None))(p, buffers, o, a)


optimizer = torch.optim.Adam(params.values(), lr=1e-3)
for step in range(60):
    idx = torch.randint(0, n, (128,))
    with torch.no_grad():
        q_next = ensemble_q(target_params, next_obs[idx], next_act[idx])
        # REDQ: bootstrap from the minimum over a random pair of critics
        pair = torch.randperm(N_CRITICS)[:2]
        target = reward[idx] + GAMMA * q_next[pair].min(0).values
    q = ensemble_q(params, obs[idx], act[idx])
    loss = F.mse_loss(q, target.expand_as(q))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for k in target_params:
            target_params[k].lerp_(params[k], TAU)
    if step % 20 == 0:
        print(f"step {step}: td loss {loss.item():.4f}")

print(f"final td loss {loss.item():.4f}, mean Q {q.mean().item():.3f}")
