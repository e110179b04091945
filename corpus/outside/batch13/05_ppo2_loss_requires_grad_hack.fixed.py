# Reproduction modelled on: https://github.com/Kostis-S-Z/exploring_meta/issues/16
# FIXED VERSION: the loss is built from the graph-carrying log-probs / values / entropy returned by the policy; the requires_grad hack is gone.
# "[Procgen] Loss in PPO2 needs to be manually set to 'requires_grad=True'" (RuntimeError:
# element 0 of tensors does not require grad and does not have a grad_fn). The PPO update
# builds its loss from numpy copies of the re-evaluated log-probs / values, so the loss has
# no graph; setting loss.requires_grad = True silences the error but no gradient ever
# reaches the actor-critic, and Adam skips every parameter.
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Categorical

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

params = {"obs_dim": 16, "n_actions": 4, "hidden": 32, "n_steps": 64, "ppo_epochs": 3,
          "clip": 0.2, "gamma": 0.99, "lam": 0.95, "vf_coef": 0.5, "ent_coef": 0.01, "lr": 5e-4}


class ActorCritic(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh())
        self.actor = nn.Linear(hidden, n_actions)
        self.critic = nn.Linear(hidden, 1)

    def forward(self, obs):
        h = self.features(obs)
        return Categorical(logits=self.actor(h)), self.critic(h).squeeze(-1)


class ToyProcgenEnv:
    def __init__(self, obs_dim, n_actions, seed=0):
        self.rng = np.random.RandomState(seed)
        self.obs_dim, self.n_actions = obs_dim, n_actions

    def reset(self):
        self.t = 0
        self.state = self.rng.randn(self.obs_dim).astype("float32")
        return self.state

    def step(self, action):
        self.t += 1
        reward = float(action == int(np.argmax(self.state[: self.n_actions])))
        self.state = self.rng.randn(self.obs_dim).astype("float32")
        return self.state, reward, self.t >= 16


def collect_rollout(env, policy, n_steps):
    buf = {k: [] for k in ("obs", "actions", "log_probs", "values", "rewards", "dones")}
    obs = env.reset()
    for _ in range(n_steps):
        with torch.no_grad():
            dist, value = policy(torch.as_tensor(obs, device=device).unsqueeze(0))
            action = dist.sample()
        next_obs, reward, done = env.step(action.item())
        buf["obs"].append(obs); buf["actions"].append(action.item())
        buf["log_probs"].append(dist.log_prob(action).item()); buf["values"].append(value.item())
        buf["rewards"].append(reward); buf["dones"].append(done)
        obs = env.reset() if done else next_obs
    return {k: np.array(v) for k, v in buf.items()}


def compute_gae(rewards, values, dones, gamma, lam):
    adv, last = np.zeros_like(rewards, dtype="float32"), 0.0
    for t in reversed(range(len(rewards))):
        next_v = 0.0 if (dones[t] or t == len(rewards) - 1) else values[t + 1]
        delta = rewards[t] + gamma * next_v - values[t]
        last = delta + gamma * lam * (0.0 if dones[t] else last)
        adv[t] = last
    return adv, adv + values


def to_tensor(x):
    return torch.as_tensor(np.asarray(x, dtype="float32"), device=device)


class PPO2:
    def __init__(self, policy, p):
        self.policy, self.p = policy, p
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=p["lr"])

    def evaluate(self, obs, actions):
        dist, values = self.policy(obs)
        return dist.log_prob(actions), values, dist.entropy()

    def update(self, rollout):
        adv, returns = compute_gae(rollout["rewards"], rollout["values"], rollout["dones"],
                                   self.p["gamma"], self.p["lam"])
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        obs, actions = to_tensor(rollout["obs"]), torch.as_tensor(rollout["actions"], device=device)
        for _ in range(self.p["ppo_epochs"]):
            new_log_probs, new_values, entropy = self.evaluate(obs, actions)
            ratio = torch.exp(new_log_probs - to_tensor(rollout["log_probs"]))
            surr1 = ratio * to_tensor(adv)
            surr2 = torch.clamp(ratio, 1 - self.p["clip"], 1 + self.p["clip"]) * to_tensor(adv)
            policy_loss = -torch.min(surr1, surr2).mean()
            value_loss = (to_tensor(returns) - new_values).pow(2).mean()
            loss = policy_loss + self.p["vf_coef"] * value_loss - self.p["ent_coef"] * entropy.mean()
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.policy.parameters(), 0.5)
            self.optimizer.step()
        return loss.item()


env = ToyProcgenEnv(params["obs_dim"], params["n_actions"])
policy = ActorCritic(params["obs_dim"], params["n_actions"], params["hidden"]).to(device)
agent = PPO2(policy, params)
for iteration in range(4):
    rollout = collect_rollout(env, policy, params["n_steps"])
    loss = agent.update(rollout)
    print(f"iter {iteration} mean reward {rollout['rewards'].mean():.3f} loss {loss:.4f}")
