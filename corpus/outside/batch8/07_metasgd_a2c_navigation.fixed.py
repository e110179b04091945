"""Meta-SGD + A2C on 2D point navigation (learn2learn examples/rl style).

Meta-SGD learns both the policy initialisation and a per-parameter inner learning rate.
"""
import torch
import torch.nn as nn
from torch import optim
from torch.distributions import Normal
from torch.func import functional_call

torch.manual_seed(0)


class DiagNormalPolicy(nn.Module):
    def __init__(self, input_size, output_size, hiddens=(32, 32)):
        super().__init__()
        layers = []
        size = input_size
        for h in hiddens:
            layers += [nn.Linear(size, h), nn.ReLU()]
            size = h
        layers.append(nn.Linear(size, output_size))
        self.mean = nn.Sequential(*layers)
        self.sigma = nn.Parameter(torch.ones(output_size) * -1.0)

    def forward(self, state):
        loc = self.mean(state)
        scale = torch.exp(torch.clamp(self.sigma, min=-5.0))
        return Normal(loc=loc, scale=scale)


class MetaSGD(nn.Module):
    def __init__(self, model, lr=1.0, first_order=False):
        super().__init__()
        self.module = model
        self.lrs = nn.ParameterList([nn.Parameter(torch.ones_like(p) * lr) for p in model.parameters()])
        self.first_order = first_order

    def forward(self, *args, params=None):
        if params is None:
            return self.module(*args)
        return functional_call(self.module, params, args)

    def adapt(self, loss, params=None):
        if params is None:
            params = dict(self.module.named_parameters())
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=not self.first_order)
        return {name: p - lr * g for (name, p), lr, g in zip(params.items(), self.lrs, grads)}


class Particles2D:
    def __init__(self, goal, horizon=10):
        self.goal = goal
        self.horizon = horizon

    def rollout(self, learner, n_episodes, params=None):
        state = torch.zeros(n_episodes, 2)
        states, log_probs, rewards = [], [], []
        for _ in range(self.horizon):
            dist = learner(state, params=params)
            action = dist.sample()
            log_probs.append(dist.log_prob(action).sum(-1))
            states.append(state)
            state = state + torch.clamp(action, -0.1, 0.1)
            rewards.append(-torch.norm(state - self.goal, dim=-1))
        return torch.stack(states), torch.stack(log_probs), torch.stack(rewards)


class LinearValue:
    """Time-dependent linear baseline fitted by least squares."""

    def __init__(self, reg=1e-5):
        self.reg = reg
        self.w = None

    def _features(self, states):
        T = states.shape[0]
        t = torch.arange(T).float().view(T, 1, 1).expand(T, states.shape[1], 1) / 100.0
        return torch.cat([states, states ** 2, t, t ** 2, t ** 3, torch.ones_like(t)], dim=-1)

    def fit(self, states, returns):
        f = self._features(states).reshape(-1, 8)
        A = f.T @ f + self.reg * torch.eye(8)
        self.w = torch.linalg.solve(A, f.T @ returns.reshape(-1, 1))

    def __call__(self, states):
        return (self._features(states) @ self.w).squeeze(-1)


def discount(rewards, gamma):
    R = torch.zeros_like(rewards[0])
    out = []
    for r in reversed(rewards):
        R = r + gamma * R
        out.append(R)
    return torch.stack(out[::-1])


def a2c_loss(episodes, baseline, gamma=0.95):
    states, log_probs, rewards = episodes
    returns = discount(rewards, gamma)
    baseline.fit(states, returns)
    advantages = returns - baseline(states)
    advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    return -(log_probs * advantages.detach()).mean()


def main(meta_lr=0.005, fast_lr=0.1, meta_bsz=4, adapt_bsz=16, num_iterations=10, seed=42):
    torch.manual_seed(seed)
    policy = DiagNormalPolicy(input_size=2, output_size=2)
    meta_learner = MetaSGD(policy, lr=fast_lr)
    baseline = LinearValue()
    opt = optim.Adam(meta_learner.parameters(), lr=meta_lr)

    for iteration in range(num_iterations):
        iteration_loss = 0.0
        iteration_reward = 0.0
        for task in range(meta_bsz):
            env = Particles2D(goal=torch.rand(2) - 0.5)
            # Fast adapt
            train_episodes = env.rollout(meta_learner, adapt_bsz)
            adapted = meta_learner.adapt(a2c_loss(train_episodes, baseline))
            # Compute validation loss
            valid_episodes = env.rollout(meta_learner, adapt_bsz, params=adapted)
            iteration_loss = iteration_loss + a2c_loss(valid_episodes, baseline)
            iteration_reward += valid_episodes[2].sum(0).mean().item()
        iteration_loss = iteration_loss / meta_bsz
        opt.zero_grad()
        iteration_loss.backward()
        opt.step()
        print(f"iteration {iteration} valid reward {iteration_reward / meta_bsz:.3f}")
    return meta_learner


if __name__ == "__main__":
    main()
