# Behaviour cloning for a navigation policy: a policy network pre-trained on another map is
# restored and fine-tuned with AdamW on (observation, expert action) pairs from a scripted expert
# that steers towards the goal.
import torch
from torch import nn

torch.manual_seed(0)
OBS_DIM, N_ACTIONS = 8, 4


class Policy(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(hidden, hidden), nn.ReLU(),
        )
        self.logits = nn.Linear(hidden, n_actions)

    def forward(self, obs):
        return self.logits(self.body(obs))


def restore(model, state, *, strict=True, train=False):
    model.load_state_dict(state, strict=strict)
    model.train(train)
    for p in model.parameters():
        p.requires_grad_(train)
    return model


def build_policy(pretrained_state=None):
    policy = Policy(OBS_DIM, N_ACTIONS)
    if pretrained_state is not None:
        policy = restore(policy, pretrained_state, strict=False)
    return policy


def expert_demos(n):
    obs = torch.randn(n, OBS_DIM)
    to_goal = obs[:, 2:4] - obs[:, 0:2]
    horizontal = to_goal[:, 0].abs() > to_goal[:, 1].abs()
    actions = torch.where(horizontal, (to_goal[:, 0] > 0).long(), 2 + (to_goal[:, 1] > 0).long())
    return obs, actions


other_map = Policy(OBS_DIM, N_ACTIONS).state_dict()
policy = build_policy(other_map)
optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=3e-4, weight_decay=1e-4)

obs, actions = expert_demos(1024)
for epoch in range(5):
    perm = torch.randperm(len(obs))
    for i in range(0, len(obs), 128):
        idx = perm[i:i + 128]
        loss = nn.functional.cross_entropy(policy(obs[idx]), actions[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        agree = (policy(obs).argmax(1) == actions).float().mean()
    print(f"epoch {epoch} loss {loss.item():.4f} agreement {agree:.3f}")
