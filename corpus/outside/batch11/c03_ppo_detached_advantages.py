"""PPO (nikhilbarhate99/PPO-PyTorch layout) on a toy 1-D control task.  Advantages use
state_values.detach(); the critic is still trained through the separate MSE term."""
import torch
import torch.nn as nn
from torch.distributions import Categorical

device = "cuda" if torch.cuda.is_available() else "cpu"


class ActorCritic(nn.Module):
    def __init__(self, state_dim, action_dim, n_latent_var=32):
        super().__init__()
        self.action_layer = nn.Sequential(nn.Linear(state_dim, n_latent_var), nn.Tanh(),
                                          nn.Linear(n_latent_var, action_dim), nn.Softmax(dim=-1))
        self.value_layer = nn.Sequential(nn.Linear(state_dim, n_latent_var), nn.Tanh(), nn.Linear(n_latent_var, 1))

    def act(self, state):
        dist = Categorical(self.action_layer(state))
        action = dist.sample()
        return action, dist.log_prob(action)

    def evaluate(self, state, action):
        dist = Categorical(self.action_layer(state))
        return dist.log_prob(action), torch.squeeze(self.value_layer(state)), dist.entropy()


class PPO:
    def __init__(self, state_dim, action_dim, lr=2e-3, gamma=0.99, K_epochs=4, eps_clip=0.2):
        self.gamma, self.eps_clip, self.K_epochs = gamma, eps_clip, K_epochs
        self.policy = ActorCritic(state_dim, action_dim).to(device)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr, betas=(0.9, 0.999))
        self.policy_old = ActorCritic(state_dim, action_dim).to(device)
        self.policy_old.load_state_dict(self.policy.state_dict())
        self.MseLoss = nn.MSELoss()

    def update(self, states, actions, logprobs, rewards):
        returns, disc = [], 0
        for r in reversed(rewards):
            disc = r + self.gamma * disc
            returns.insert(0, disc)
        returns = torch.tensor(returns, dtype=torch.float32, device=device)
        returns = (returns - returns.mean()) / (returns.std() + 1e-5)
        for _ in range(self.K_epochs):
            new_logprobs, state_values, dist_entropy = self.policy.evaluate(states, actions)
            ratios = torch.exp(new_logprobs - logprobs.detach())
            advantages = returns - state_values.detach()
            surr1 = ratios * advantages
            surr2 = torch.clamp(ratios, 1 - self.eps_clip, 1 + self.eps_clip) * advantages
            loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, returns) - 0.01 * dist_entropy
            self.optimizer.zero_grad()
            loss.mean().backward()
            self.optimizer.step()
        self.policy_old.load_state_dict(self.policy.state_dict())


torch.manual_seed(0)
ppo = PPO(state_dim=2, action_dim=2)
for episode in range(4):
    pos, states, actions, logprobs, rewards = 0.0, [], [], [], []
    for t in range(20):
        s = torch.tensor([pos, t / 20.0], device=device)
        with torch.no_grad():
            a, lp = ppo.policy_old.act(s)
        pos += 0.1 if a.item() == 1 else -0.1
        states.append(s); actions.append(a); logprobs.append(lp); rewards.append(-abs(pos - 1.0))
    ppo.update(torch.stack(states), torch.stack(actions), torch.stack(logprobs), rewards)
    print(f"episode {episode} return {sum(rewards):.2f}")
