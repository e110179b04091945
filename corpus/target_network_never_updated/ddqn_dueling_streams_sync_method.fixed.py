"""Dueling double DQN whose value and advantage streams are separate networks, each with a target
twin that a method syncs softly after every learning step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)


class Stream(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.fc1 = nn.Linear(inp, 40)
        self.fc2 = nn.Linear(40, out)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


class DuelingLearner:
    def __init__(self, obs_dim=5, n_actions=3, tau=0.05, gamma=0.9):
        self.value_net, self.adv_net = Stream(obs_dim, 1), Stream(obs_dim, n_actions)
        self.target_value_net, self.target_adv_net = Stream(obs_dim, 1), Stream(obs_dim, n_actions)
        self.target_value_net.load_state_dict(self.value_net.state_dict())
        self.target_adv_net.load_state_dict(self.adv_net.state_dict())
        params = list(self.value_net.parameters()) + list(self.adv_net.parameters())
        self.optimizer = torch.optim.Adam(params, lr=1e-3)
        self.tau, self.gamma = tau, gamma

    @staticmethod
    def q_values(value, adv):
        return value + adv - adv.mean(dim=1, keepdim=True)

    def sync(self):
        for target_param, param in zip(self.target_adv_net.parameters(), self.adv_net.parameters()):
            target_param.data.copy_(self.tau * param.data + (1.0 - self.tau) * target_param.data)
        for target_param, param in zip(self.target_value_net.parameters(), self.value_net.parameters()):
            target_param.data.copy_(self.tau * param.data + (1.0 - self.tau) * target_param.data)

    def learn(self, obs, actions, rewards, next_obs):
        with torch.no_grad():
            next_a = self.q_values(self.value_net(next_obs), self.adv_net(next_obs)).argmax(1, keepdim=True)
            next_q = self.q_values(self.target_value_net(next_obs), self.target_adv_net(next_obs)).gather(1, next_a)
            target = rewards.unsqueeze(1) + self.gamma * next_q
        q = self.q_values(self.value_net(obs), self.adv_net(obs)).gather(1, actions.unsqueeze(1))
        loss = F.mse_loss(q, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.sync()
        return loss.item()


learner = DuelingLearner()
for it in range(250):
    obs, next_obs = torch.randn(48, 5), torch.randn(48, 5)
    actions = torch.randint(0, 3, (48,))
    rewards = obs[:, 1] - 0.5 * (actions == 2).float()
    loss = learner.learn(obs, actions, rewards, next_obs)
print("loss", loss)
