# A policy updated from the critic's action gradient by calling backward() on the policy's last
# parameter with that gradient: only that tensor receives it, the rest of the policy never moves.
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2), nn.Tanh())
target_policy = copy.deepcopy(policy)
critic = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
policy_params = list(policy.parameters())
policy_opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)

for step in range(20):
    s = torch.randn(32, 4)
    with torch.no_grad():
        a = target_policy(s)
    a.requires_grad_(True)
    q = critic(torch.cat([s, a], dim=1))
    dq_da = torch.autograd.grad(q.sum(), a, retain_graph=True)[0].mean(0)
    critic_loss = (q - torch.randn(32, 1)).pow(2).mean()
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()
    policy_opt.zero_grad()
    policy_params[-1].backward(-dq_da)
    policy_opt.step()
    with torch.no_grad():
        for t, p in zip(target_policy.parameters(), policy.parameters()):
            t.mul_(0.99).add_(p, alpha=0.01)
print("done")
