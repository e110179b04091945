# TD3 on a planar reaching task: the state is the hand and goal positions, the action a bounded
# displacement. Random transitions fill a replay buffer; td3_update() trains the twin critics on
# clipped double-Q targets with target policy smoothing and updates the actor every second call.
import copy
from itertools import chain

import torch
import torch.nn.functional as nnf
import torch.optim as optim
from torch import nn

torch.manual_seed(0)
STATE, ACTION = 4, 2


class QNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(STATE + ACTION, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, states, actions):
        return self.body(torch.cat([states, actions], dim=-1))


def td3_update(it, states, actions, rewards, next_states, actor, q1, q2, targets, actor_opt, critic_opt, gamma=0.9):
    actor_t, q1_t, q2_t = targets
    with torch.no_grad():
        noise = (0.2 * torch.randn_like(actions)).clamp(-0.5, 0.5)
        next_actions = (actor_t(next_states) + noise).clamp(-1, 1)
        target_q = rewards + gamma * torch.min(q1_t(next_states, next_actions), q2_t(next_states, next_actions))
    critic_loss = nnf.mse_loss(q1(states, actions), target_q) + nnf.mse_loss(q2(states, actions), target_q)
    critic_opt.zero_grad()
    critic_loss.backward()
    critic_opt.step()

    if it % 2 == 0:
        actor_loss = -q1(states, actions).mean()
        actor_opt.zero_grad()
        actor_loss.backward()
        actor_opt.step()
        with torch.no_grad():
            for net, target in zip((actor, q1, q2), targets):
                for p, p_t in zip(net.parameters(), target.parameters()):
                    p_t.mul_(0.995).add_(0.005 * p)
    return critic_loss.item()


hands, goals = torch.rand(3000, 2) * 2 - 1, torch.rand(3000, 2) * 2 - 1
buf_states = torch.cat([hands, goals], -1)
buf_actions = torch.rand(3000, ACTION) * 2 - 1
buf_next = torch.cat([(hands + 0.1 * buf_actions).clamp(-1, 1), goals], -1)
buf_rewards = -(buf_next[:, :2] - goals).norm(dim=-1, keepdim=True)

actor = nn.Sequential(nn.Linear(STATE, 64), nn.ReLU(), nn.Linear(64, ACTION), nn.Tanh())
q1, q2 = QNet(), QNet()
targets = tuple(copy.deepcopy(m).requires_grad_(False) for m in (actor, q1, q2))
actor_opt = optim.Adam(actor.parameters(), lr=1e-3)
critic_opt = optim.Adam(chain(q1.parameters(), q2.parameters()), lr=1e-3)

for it in range(200):
    idx = torch.randint(0, 3000, (64,))
    loss = td3_update(it, buf_states[idx], buf_actions[idx], buf_rewards[idx], buf_next[idx],
                      actor, q1, q2, targets, actor_opt, critic_opt)
    if it % 50 == 0:
        print(f"iter {it}: critic loss {loss:.4f}")
