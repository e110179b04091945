"""Actor-critic fine-tuning with a KL penalty towards a frozen reference policy (a deepcopy taken
before training, never meant to change) and a value target (a deepcopy of the value network,
moved towards it by Polyak averaging)."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

OBS, ACTIONS, BETA, TAU = 8, 4, 0.05, 0.01

policy = nn.Sequential(nn.Linear(OBS, 64), nn.Tanh(), nn.Linear(64, ACTIONS))
value = nn.Sequential(nn.Linear(OBS, 64), nn.Tanh(), nn.Linear(64, 1))
ref_policy = copy.deepcopy(policy).requires_grad_(False)
target_value = copy.deepcopy(value).requires_grad_(False)
optimizer = torch.optim.Adam([*policy.parameters(), *value.parameters()], lr=3e-4)

for it in range(200):
    obs, nxt = torch.randn(64, OBS), torch.randn(64, OBS)
    logits = policy(obs)
    dist = torch.distributions.Categorical(logits=logits)
    actions = dist.sample()
    rewards = (actions == obs[:, :ACTIONS].argmax(1)).float()
    with torch.no_grad():
        returns = rewards + 0.9 * target_value(nxt).squeeze(1)
        ref_logp = F.log_softmax(ref_policy(obs), dim=1)
    v = value(obs).squeeze(1)
    advantage = (returns - v).detach()
    kl = (F.softmax(logits, 1) * (F.log_softmax(logits, 1) - ref_logp)).sum(1).mean()
    loss = -(dist.log_prob(actions) * advantage).mean() + F.mse_loss(v, returns) + BETA * kl
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for t, p in zip(target_value.parameters(), value.parameters()):
            t.lerp_(p, TAU)
    if it % 50 == 0:
        print(it, loss.item(), kl.item())
