# Report: https://github.com/rll-research/url_benchmark/issues/16
# "update_encoder doesn't used": in icm_apt.py the agent encodes obs/next_obs and detaches
# them only `if not self.update_encoder`, but a few lines later obs and next_obs are detached
# again unconditionally. The pixel encoder therefore never receives a gradient (neither from
# the ICM loss nor from the critic) and stays at its random initialisation.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Encoder(nn.Module):
    def __init__(self, obs_shape):
        super().__init__()
        self.repr_dim = 16 * 4 * 4
        self.convnet = nn.Sequential(nn.Conv2d(obs_shape[0], 16, 3, stride=2, padding=1), nn.ReLU(),
                                     nn.Conv2d(16, 16, 3, stride=2, padding=1), nn.ReLU())

    def forward(self, obs):
        obs = obs / 255.0 - 0.5
        return self.convnet(obs).flatten(1)


class ICM(nn.Module):
    def __init__(self, obs_dim, action_dim, hidden_dim):
        super().__init__()
        self.forward_net = nn.Sequential(nn.Linear(obs_dim + action_dim, hidden_dim), nn.ReLU(),
                                         nn.Linear(hidden_dim, obs_dim))
        self.backward_net = nn.Sequential(nn.Linear(2 * obs_dim, hidden_dim), nn.ReLU(),
                                          nn.Linear(hidden_dim, action_dim), nn.Tanh())

    def forward(self, obs, action, next_obs):
        next_obs_hat = self.forward_net(torch.cat([obs, action], dim=-1))
        action_hat = self.backward_net(torch.cat([obs, next_obs], dim=-1))
        forward_error = torch.norm(next_obs - next_obs_hat, dim=-1, p=2, keepdim=True)
        backward_error = torch.norm(action - action_hat, dim=-1, p=2, keepdim=True)
        return forward_error, backward_error


class Critic(nn.Module):
    def __init__(self, obs_dim, action_dim, hidden_dim):
        super().__init__()
        self.q = nn.Sequential(nn.Linear(obs_dim + action_dim, hidden_dim), nn.ReLU(),
                               nn.Linear(hidden_dim, 1))

    def forward(self, obs, action):
        return self.q(torch.cat([obs, action], dim=-1))


class ICMAPTAgent:
    def __init__(self, obs_shape, action_dim, hidden_dim=32, lr=1e-3, update_encoder=True):
        self.update_encoder = update_encoder
        self.encoder = Encoder(obs_shape).to(device)
        obs_dim = self.encoder.repr_dim
        self.icm = ICM(obs_dim, action_dim, hidden_dim).to(device)
        self.critic = Critic(obs_dim, action_dim, hidden_dim).to(device)
        self.encoder_opt = torch.optim.Adam(self.encoder.parameters(), lr=lr)
        self.icm_opt = torch.optim.Adam(self.icm.parameters(), lr=lr)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=lr)

    def update_icm(self, obs, action, next_obs):
        forward_error, backward_error = self.icm(obs, action, next_obs)
        loss = forward_error.mean() + backward_error.mean()
        self.icm_opt.zero_grad(set_to_none=True)
        if self.encoder_opt is not None:
            self.encoder_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.icm_opt.step()
        if self.encoder_opt is not None:
            self.encoder_opt.step()

    def update_critic(self, obs, action, reward):
        critic_loss = F.mse_loss(self.critic(obs, action), reward)
        self.encoder_opt.zero_grad(set_to_none=True)
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()
        self.encoder_opt.step()

    def update(self, batch):
        obs, action, reward, next_obs = batch
        obs = self.encoder(obs)
        next_obs = self.encoder(next_obs)
        if not self.update_encoder:
            obs = obs.detach()
            next_obs = next_obs.detach()
        obs = obs.detach()
        next_obs = next_obs.detach()
        self.update_icm(obs, action, next_obs)
        obs = self.encoder(batch[0])
        self.update_critic(obs.detach(), action, reward)


agent = ICMAPTAgent(obs_shape=(3, 16, 16), action_dim=2)
for step in range(20):
    batch = (torch.randint(0, 256, (8, 3, 16, 16), device=device).float(),
             torch.rand(8, 2, device=device) * 2 - 1,
             torch.rand(8, 1, device=device),
             torch.randint(0, 256, (8, 3, 16, 16), device=device).float())
    agent.update(batch)
