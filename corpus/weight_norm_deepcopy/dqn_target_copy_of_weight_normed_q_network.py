"""DQN with a weight-normalised Q network (nn.utils.weight_norm): the target network is a
deepcopy of it, which the old weight_norm hook makes impossible."""
import copy

import torch
import torch.nn as nn

torch.manual_seed(0)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.body = nn.Sequential(nn.utils.weight_norm(nn.Linear(obs_dim, 64)), nn.ReLU())
        self.head = nn.utils.weight_norm(nn.Linear(64, n_actions))

    def forward(self, obs):
        return self.head(self.body(obs))


online = QNetwork(8, 4)
target = copy.deepcopy(online)
optimizer = torch.optim.Adam(online.parameters(), lr=1e-3)

for step in range(200):
    obs, next_obs = torch.randn(32, 8), torch.randn(32, 8)
    actions, rewards = torch.randint(0, 4, (32,)), torch.randn(32)
    with torch.no_grad():
        y = rewards + 0.99 * target(next_obs).max(dim=1).values
    q = online(obs).gather(1, actions[:, None]).squeeze(1)
    loss = nn.functional.smooth_l1_loss(q, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        target.load_state_dict(online.state_dict())
