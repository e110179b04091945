import copy

import torch as T
import torch.nn as nn
import torch.nn.functional as F


class QNet(nn.Module):
    def __init__(self, obs_dim=4, n_actions=2):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 32)
        self.fc2 = nn.Linear(32, n_actions)

    def forward(self, obs):
        return self.fc2(F.relu(self.fc1(obs)))


def main():
    T.manual_seed(0)
    gamma, sync_every, batch = 0.99, 3, 16

    online = QNet()
    target = copy.deepcopy(online)
    optimizer = T.optim.Adam(online.parameters(), lr=1e-3)

    for step in range(8):
        obs = T.randn(batch, 4)
        actions = T.randint(0, 2, (batch,))
        rewards = T.randn(batch)
        next_obs = T.randn(batch, 4)
        dones = T.randint(0, 2, (batch,)).float()

        q = online(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        with T.no_grad():
            next_q = target(next_obs).max(dim=1).values
            td_target = rewards + gamma * (1.0 - dones) * next_q

        loss = F.smooth_l1_loss(q, td_target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (step + 1) % sync_every == 0:
            target.load_state_dict(online.state_dict())
        print(f"step {step} td_loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
