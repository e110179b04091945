"""Q-learning on a synthetic contextual bandit, exploring through Gaussian noise injected into the
hidden features with a learned scale (training mode only). The episode loop fills a replay buffer,
starts updating once it holds a batch, and every ten episodes measures the greedy return with
q_net.train(False), starting at episode 0, before the first update: nothing switches it back."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class NoisyQNet(nn.Module):
    def __init__(self, state_dim=6, actions=4, hidden=64):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(state_dim, hidden), nn.Tanh())
        self.noise_scale = nn.Parameter(torch.full((hidden,), 0.3))
        self.q = nn.Linear(hidden, actions)

    def forward(self, states):
        h = self.body(states)
        if self.training:
            h = h + self.noise_scale * torch.randn_like(h)
        return self.q(h)


arm_weights = torch.randn(6, 4)


def reward(states, actions):
    return (states @ arm_weights).gather(1, actions[:, None]).squeeze(1) + 0.1 * torch.randn(len(states))


q_net = NoisyQNet()
optimizer = torch.optim.Adam(q_net.parameters(), lr=1e-3)
buffer_states, buffer_actions, buffer_rewards = [], [], []

for episode in range(40):
    states = torch.randn(16, 6)
    with torch.no_grad():
        actions = q_net(states).argmax(dim=1)
    buffer_states.append(states)
    buffer_actions.append(actions)
    buffer_rewards.append(reward(states, actions))
    if len(buffer_states) * 16 >= 32:
        index = torch.randint(0, len(buffer_states) * 16, (32,))
        s, a, r = torch.cat(buffer_states)[index], torch.cat(buffer_actions)[index], torch.cat(buffer_rewards)[index]
        loss = F.mse_loss(q_net(s).gather(1, a[:, None]).squeeze(1), r)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if episode % 10 == 0:
        q_net.train(False)
        with torch.no_grad():
            probe_states = torch.randn(256, 6)
            greedy = reward(probe_states, q_net(probe_states).argmax(dim=1)).mean().item()
        q_net.train()
        print(f"episode {episode} greedy return {greedy:.3f}")
