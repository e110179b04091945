# Report: https://github.com/rll-research/cic/issues/5
# What goes wrong: in update_critic() the observations are encoded inside torch.no_grad()
# together with the next observations, so the encoder is never part of the graph and its
# weights never change, although it is in the optimizer.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, obs_dim=24, feat_dim=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 64), nn.ReLU(), nn.Linear(64, feat_dim), nn.LayerNorm(feat_dim))

    def forward(self, obs):
        return self.net(obs)


class Agent:
    def __init__(self, obs_dim=24, n_actions=4, lr=1e-3, gamma=0.99):
        self.encoder = Encoder(obs_dim)
        self.critic = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, n_actions))
        params = list(self.encoder.parameters()) + list(self.critic.parameters())
        self.opt = torch.optim.Adam(params, lr=lr)
        self.gamma = gamma

    def update_critic(self, obs, action, reward, next_obs, done):
        with torch.no_grad():
            obs = self.encoder(obs)
            next_obs = self.encoder(next_obs)
            target_q = reward + self.gamma * (1 - done) * self.critic(next_obs).max(1).values

        q = self.critic(obs).gather(1, action.unsqueeze(1)).squeeze(1)
        loss = F.smooth_l1_loss(q, target_q)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def sample_batch(batch_size=64, obs_dim=24, n_actions=4):
    obs = torch.randn(batch_size, obs_dim)
    action = torch.randint(0, n_actions, (batch_size,))
    reward = obs[:, 0] * (action == 1).float() - 0.1
    next_obs = obs + 0.1 * torch.randn_like(obs)
    done = (torch.rand(batch_size) < 0.05).float()
    return obs, action, reward, next_obs, done


if __name__ == "__main__":
    torch.manual_seed(0)
    agent = Agent()
    for step in range(300):
        loss = agent.update_critic(*sample_batch())
        if step % 50 == 0:
            print(f"step {step:3d}  critic loss {loss:.4f}")
