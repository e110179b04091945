# Correct look-alike (control): DQN-style update with a target network. The target network is a
# frozen deepcopy, TD targets are computed under no_grad, and the target is Polyak-averaged with
# in-place ops inside torch.no_grad() on purpose. The online Q-network is the one that trains.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

OBS, ACTIONS = 6, 3


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(OBS, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, ACTIONS))

    def forward(self, obs):
        return self.net(obs)


@torch.no_grad()
def soft_update(target, online, tau=0.05):
    for tp, p in zip(target.parameters(), online.parameters()):
        tp.mul_(1.0 - tau).add_(p, alpha=tau)


def fake_transitions(n=128):
    obs = torch.randn(n, OBS)
    act = torch.randint(0, ACTIONS, (n,))
    rew = (obs[:, act.clamp(max=OBS - 1)].diagonal() > 0).float()
    nxt = obs + 0.05 * torch.randn_like(obs)
    done = (torch.rand(n) < 0.1).float()
    return obs, act, rew, nxt, done


def train(online, steps=250, gamma=0.95):
    target = copy.deepcopy(online)
    target.requires_grad_(False)
    opt = torch.optim.Adam(online.parameters(), lr=1e-3)
    for step in range(steps):
        obs, act, rew, nxt, done = fake_transitions()
        with torch.no_grad():
            next_q = target(nxt).max(dim=1).values
            td_target = rew + gamma * (1.0 - done) * next_q
        q = online(obs).gather(1, act.unsqueeze(1)).squeeze(1)
        loss = F.mse_loss(q, td_target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        soft_update(target, online)
        if step % 50 == 0:
            print(f"step {step:3d}  td loss {loss.item():.4f}")
    return target


if __name__ == "__main__":
    torch.manual_seed(0)
    train(QNet())
