"""Actor-critic on a toy bandit with a gradient scaler (mixed precision on a GPU, a pass-through
here). The critic's loss is scaled and back-propagated, then only the actor's optimizer goes
through `scaler.step`: the value head never learns."""
import torch
import torch.nn as nn

torch.manual_seed(0)
ARMS = 4

actor = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, ARMS))
critic = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 1))
actor_opt = torch.optim.Adam(actor.parameters(), lr=1e-2)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
scaler = torch.cuda.amp.GradScaler(enabled=False)
payout = torch.tensor([0.1, 0.5, 0.2, 0.9])

for episode in range(25):
    context = torch.randn(16, 3)
    dist = torch.distributions.Categorical(logits=actor(context))
    arm = dist.sample()
    reward = torch.bernoulli(payout[arm])

    critic_opt.zero_grad()
    value = critic(context).squeeze(1)
    critic_loss = (value - reward).pow(2).mean()
    scaler.scale(critic_loss).backward()
    scaler.step(critic_opt)

    actor_opt.zero_grad()
    advantage = (reward - value).detach()
    actor_loss = -(dist.log_prob(arm) * advantage).mean()
    scaler.scale(actor_loss).backward()
    scaler.step(actor_opt)
    scaler.update()
print(f"critic {critic_loss.item():.3f} actor {actor_loss.item():.3f}")
