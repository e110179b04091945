"""DQN on random transitions: the agent syncs its target network every few learning steps from a
method that is given the global step, but loads the target's own state_dict into it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(obs_dim, 64), nn.ReLU(), nn.Linear(64, n_actions))

    def forward(self, obs):
        return self.layers(obs)


class Agent:
    def __init__(self, obs_dim=6, n_actions=3, sync_every=8, gamma=0.99):
        self.policy_net = QNetwork(obs_dim, n_actions)
        self.target_net = QNetwork(obs_dim, n_actions)
        self.target_net.load_state_dict(self.policy_net.state_dict())
        self.optimizer = torch.optim.Adam(self.policy_net.parameters(), lr=1e-3)
        self.sync_every, self.gamma = sync_every, gamma

    def update(self, batch, global_step):
        obs, actions, rewards, next_obs, done = batch
        q = self.policy_net(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
        with torch.no_grad():
            best = self.target_net(next_obs).max(dim=1).values
            target = rewards + self.gamma * best * (1 - done)
        loss = F.smooth_l1_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        if global_step % self.sync_every == 0:
            self.target_net.load_state_dict(self.policy_net.state_dict())
        return loss.item()


def random_batch(size=32, obs_dim=6, n_actions=3):
    return (torch.randn(size, obs_dim), torch.randint(0, n_actions, (size,)), torch.randn(size),
            torch.randn(size, obs_dim), (torch.rand(size) < 0.1).float())


agent = Agent()
for global_step in range(1, 301):
    loss = agent.update(random_batch(), global_step)
    if global_step % 100 == 0:
        print(global_step, loss)
