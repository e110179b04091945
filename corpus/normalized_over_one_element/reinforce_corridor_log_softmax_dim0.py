# REINFORCE on a short corridor. The policy sees one state at a time, as a batch of one: its
# logits have shape (1, n_actions), and log_softmax over dim=0 normalises each action over that
# batch of one. Every log-probability is 0.0, so the policy gradient is 0 and the policy never
# changes (actions are drawn uniformly forever).
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
LENGTH, ACTIONS = 6, 2


class Policy(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(LENGTH, hidden), nn.Tanh())
        self.logits = nn.Linear(hidden, ACTIONS)

    def forward(self, state):
        return self.logits(self.body(state))


def one_hot(position):
    state = torch.zeros(LENGTH)
    state[position] = 1.0
    return state


def run_episode(policy, max_steps=12):
    position, log_probs, rewards = 0, [], []
    for _ in range(max_steps):
        logits = policy(one_hot(position).unsqueeze(0))
        log_p = F.log_softmax(logits, dim=0)
        action = torch.multinomial(log_p.detach().exp()[0], 1).item()
        log_probs.append(log_p[0, action])
        position = min(max(position + (1 if action == 1 else -1), 0), LENGTH - 1)
        rewards.append(1.0 if position == LENGTH - 1 else -0.1)
        if position == LENGTH - 1:
            break
    return log_probs, rewards


policy = Policy()
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
for episode in range(50):
    log_probs, rewards = run_episode(policy)
    returns, running = [], 0.0
    for reward in reversed(rewards):
        running = reward + 0.95 * running
        returns.insert(0, running)
    returns = torch.tensor(returns)
    loss = -(torch.stack(log_probs) * returns).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
