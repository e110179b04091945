"""An actor-critic whose critic target follows softly every step, while the actor's target is a hard
copy refreshed only every 1000 updates (a slow policy target on purpose): within a short run the
actor target has not been refreshed yet, and that is the schedule, not a forgotten update."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
OBS, ACT, TAU, ACTOR_SYNC = 5, 2, 0.02, 1000


def net(inp, out):
    return nn.Sequential(nn.Linear(inp, 32), nn.Tanh(), nn.Linear(32, out))


actor, target_actor = net(OBS, ACT), net(OBS, ACT)
critic, target_critic = net(OBS + ACT, 1), net(OBS + ACT, 1)
target_actor.load_state_dict(actor.state_dict())
target_critic.load_state_dict(critic.state_dict())
actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-3)

for update in range(2000):
    s, s2 = torch.randn(32, OBS), torch.randn(32, OBS)
    a = torch.rand(32, ACT) * 2 - 1
    r = -(s[:, :ACT] - a).pow(2).sum(1, keepdim=True)
    with torch.no_grad():
        y = r + 0.9 * target_critic(torch.cat([s2, torch.tanh(target_actor(s2))], 1))
    critic_loss = F.mse_loss(critic(torch.cat([s, a], 1)), y)
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()

    actor_loss = -critic(torch.cat([s, torch.tanh(actor(s))], 1)).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()

    with torch.no_grad():
        for p_t, p in zip(target_critic.parameters(), critic.parameters()):
            p_t.lerp_(p, TAU)
    if (update + 1) % ACTOR_SYNC == 0:
        target_actor.load_state_dict(actor.state_dict())
print(critic_loss.item(), actor_loss.item())
