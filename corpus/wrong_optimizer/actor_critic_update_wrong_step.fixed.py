# One-step actor-critic on a toy bandit-like task; the update() helper trains both networks.
import torch
import torch.nn as nn

torch.manual_seed(0)
STATE, ACTIONS = 6, 3

actor = nn.Sequential(nn.Linear(STATE, 32), nn.Tanh(), nn.Linear(32, ACTIONS))
critic = nn.Sequential(nn.Linear(STATE, 32), nn.Tanh(), nn.Linear(32, 1))


def update(states, actions, rewards, actor_opt, critic_opt):
    values = critic(states).squeeze(1)
    advantages = rewards - values.detach()
    log_probs = torch.log_softmax(actor(states), dim=1).gather(1, actions.unsqueeze(1)).squeeze(1)

    actor_loss = -(log_probs * advantages).mean()
    actor_opt.zero_grad()
    actor_loss.backward()
    actor_opt.step()

    critic_loss = nn.functional.mse_loss(values, rewards)
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()
    return actor_loss.item(), critic_loss.item()


actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-3)
critic_opt = torch.optim.Adam(critic.parameters(), lr=1e-2)
for episode in range(50):
    states = torch.randn(32, STATE)
    with torch.no_grad():
        actions = torch.distributions.Categorical(logits=actor(states)).sample()
    rewards = (actions == states[:, :ACTIONS].argmax(1)).float()
    a_loss, c_loss = update(states, actions, rewards, actor_opt, critic_opt)
    if episode % 10 == 0:
        print(episode, round(a_loss, 3), round(c_loss, 3))
