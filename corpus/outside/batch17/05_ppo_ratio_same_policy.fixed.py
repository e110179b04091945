# Report: https://github.com/tensorforce/tensorforce/issues/312
# The PPO update takes the "old" log-probabilities from the same network it is training, inside
# the graph, instead of from the rollout. The probability ratio is exp(logp - logp) = 1 and its
# gradient is exactly zero, so the clipped surrogate never moves the actor; only the critic learns.
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
np.random.seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

config = {"state_dim": 6, "action_dim": 3, "n_latent_var": 32, "lr": 2e-3, "betas": (0.9, 0.999),
          "gamma": 0.99, "K_epochs": 4, "eps_clip": 0.2, "entropy_coef": 0.0,
          "max_episodes": 12, "max_timesteps": 20}


class ToyEnv:
    """Reward 1 when the action matches the largest of the first action_dim features."""
    def __init__(self, state_dim, action_dim):
        self.state_dim, self.action_dim = state_dim, action_dim

    def reset(self):
        self.state = np.random.randn(self.state_dim).astype(np.float32)
        return self.state

    def step(self, action):
        reward = float(action == int(np.argmax(self.state[:self.action_dim])))
        self.state = np.random.randn(self.state_dim).astype(np.float32)
        return self.state, reward, False


class Memory:
    def __init__(self):
        self.actions, self.states, self.rewards, self.is_terminals = [], [], [], []

    def clear_memory(self):
        del self.actions[:], self.states[:], self.rewards[:], self.is_terminals[:]


class ActorCritic(nn.Module):
    def __init__(self, state_dim, action_dim, n_latent_var):
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(state_dim, n_latent_var), nn.Tanh(),
                                   nn.Linear(n_latent_var, n_latent_var), nn.Tanh(),
                                   nn.Linear(n_latent_var, action_dim), nn.Softmax(dim=-1))
        self.critic = nn.Sequential(nn.Linear(state_dim, n_latent_var), nn.Tanh(),
                                    nn.Linear(n_latent_var, n_latent_var), nn.Tanh(),
                                    nn.Linear(n_latent_var, 1))

    def act(self, state, memory):
        state = torch.from_numpy(state).float().to(device)
        dist = Categorical(self.actor(state))
        action = dist.sample()
        memory.states.append(state)
        memory.actions.append(action)
        return action.item()

    def evaluate(self, state, action):
        dist = Categorical(self.actor(state))
        return dist.log_prob(action), torch.squeeze(self.critic(state)), dist.entropy()


class PPO:
    def __init__(self, cfg):
        self.gamma, self.eps_clip, self.K_epochs = cfg["gamma"], cfg["eps_clip"], cfg["K_epochs"]
        self.entropy_coef = cfg["entropy_coef"]
        self.policy = ActorCritic(cfg["state_dim"], cfg["action_dim"], cfg["n_latent_var"]).to(device)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=cfg["lr"], betas=cfg["betas"])
        self.MseLoss = nn.MSELoss()

    def update(self, memory):
        rewards, discounted_reward = [], 0
        for reward, is_terminal in zip(reversed(memory.rewards), reversed(memory.is_terminals)):
            if is_terminal:
                discounted_reward = 0
            discounted_reward = reward + (self.gamma * discounted_reward)
            rewards.insert(0, discounted_reward)
        rewards = torch.tensor(rewards, dtype=torch.float32).to(device)
        rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-5)

        old_states = torch.stack(memory.states).to(device).detach()
        old_actions = torch.stack(memory.actions).to(device).detach()

        for _ in range(self.K_epochs):
            old_logprobs, _, _ = self.policy.evaluate(old_states, old_actions)
            logprobs, state_values, dist_entropy = self.policy.evaluate(old_states, old_actions)
            ratios = torch.exp(logprobs - old_logprobs.detach())
            advantages = rewards - state_values.detach()
            surr1 = ratios * advantages
            surr2 = torch.clamp(ratios, 1 - self.eps_clip, 1 + self.eps_clip) * advantages
            loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, rewards) - self.entropy_coef * dist_entropy
            self.optimizer.zero_grad()
            loss.mean().backward()
            self.optimizer.step()


env = ToyEnv(config["state_dim"], config["action_dim"])
memory = Memory()
ppo = PPO(config)
for i_episode in range(1, config["max_episodes"] + 1):
    state = env.reset()
    for t in range(config["max_timesteps"]):
        action = ppo.policy.act(state, memory)
        state, reward, done = env.step(action)
        memory.rewards.append(reward)
        memory.is_terminals.append(t == config["max_timesteps"] - 1)
    ppo.update(memory)
    print(f"episode {i_episode}: mean reward {np.mean(memory.rewards):.2f}")
    memory.clear_memory()
