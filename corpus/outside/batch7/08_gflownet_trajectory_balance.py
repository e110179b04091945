"""GFlowNet on a 2-D hypergrid with the trajectory-balance objective.

A forward policy MLP chooses "increment x", "increment y" or "stop" from a one-hot grid
state; the learned log-partition function logZ and the policy are trained so that
terminal states are sampled proportionally to the reward."""
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

SIDE, N_ACTIONS, EOS = 6, 3, 2


class HyperGrid:
    def __init__(self, side):
        self.side = side

    def reward(self, states):
        x = states.float() / (self.side - 1) - 0.5
        r = 0.01 + 0.5 * ((x.abs() > 0.25).all(-1)).float() + 2.0 * ((x.abs() > 0.3) & (x.abs() < 0.4)).all(-1).float()
        return r

    def state2policy(self, states):
        enc = torch.zeros(states.shape[0], 2 * self.side, device=states.device)
        enc.scatter_(1, states[:, :1], 1.0)
        enc.scatter_(1, states[:, 1:] + self.side, 1.0)
        return enc

    def invalid_mask(self, states):
        mask = torch.zeros(states.shape[0], N_ACTIONS, dtype=torch.bool, device=states.device)
        mask[:, 0] = states[:, 0] >= self.side - 1
        mask[:, 1] = states[:, 1] >= self.side - 1
        return mask

    def get_logprobs(self, policy_outputs, actions, mask):
        logits = policy_outputs.detach().clone()
        logits[mask] = -float("inf")
        logprobs = torch.log_softmax(logits, dim=1)
        return logprobs.gather(1, actions[:, None]).squeeze(1)


class GFlowNetAgent(nn.Module):
    def __init__(self, env, hidden=64):
        super().__init__()
        self.env = env
        self.model = nn.Sequential(nn.Linear(2 * env.side, hidden), nn.LeakyReLU(),
                                   nn.Linear(hidden, hidden), nn.LeakyReLU(),
                                   nn.Linear(hidden, N_ACTIONS))
        self.logZ = nn.Parameter(torch.zeros(1))

    def sample_trajectories(self, n, eps=0.1):
        states = torch.zeros(n, 2, dtype=torch.long, device=device)
        done = torch.zeros(n, dtype=torch.bool, device=device)
        sum_logpf = torch.zeros(n, device=device)
        while not done.all():
            active = ~done
            s = states[active]
            out = self.model(self.env.state2policy(s))
            mask = self.env.invalid_mask(s)
            with torch.no_grad():
                probs = torch.softmax(out.masked_fill(mask, -float("inf")), 1)
                probs = (1 - eps) * probs + eps * (~mask).float() / (~mask).sum(1, keepdim=True)
                actions = torch.multinomial(probs, 1).squeeze(1)
            lp = self.env.get_logprobs(out, actions, mask)
            sum_logpf = sum_logpf.index_put((active.nonzero().squeeze(1),), lp, accumulate=True)
            new_s = s.clone()
            new_s[actions == 0, 0] += 1
            new_s[actions == 1, 1] += 1
            states[active] = new_s
            idx = active.nonzero().squeeze(1)
            done[idx[actions == EOS]] = True
        return states, sum_logpf

    def trajectory_balance_loss(self, n=32):
        states, sum_logpf = self.sample_trajectories(n)
        log_r = torch.log(self.env.reward(states))
        # each non-terminal grid state has a single parent per incremented axis; use uniform backward policy
        return ((self.logZ + sum_logpf - log_r) ** 2).mean(), log_r.exp().mean()


env = HyperGrid(SIDE)
agent = GFlowNetAgent(env).to(device)
optimizer = torch.optim.Adam([{"params": agent.model.parameters(), "lr": 1e-3},
                              {"params": [agent.logZ], "lr": 1e-1}])
for it in range(60):
    loss, mean_r = agent.trajectory_balance_loss()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 15 == 0:
        print(f"iter {it:3d}  TB loss {loss.item():.4f}  logZ {agent.logZ.item():.3f}  mean reward {mean_r.item():.3f}")
