"""Correct look-alike: in-place-looking code on the outputs of chunk()/split()/unbind() that is
right. The log-std is clamped on a copy, the query is scaled out of place, and the box sizes
go through torch.clamp/torch.exp out of place."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class GaussianPolicy(nn.Module):
    def __init__(self, obs_dim=6, act_dim=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, 2 * act_dim))

    def forward(self, obs):
        mean, log_std = self.net(obs).chunk(2, dim=-1)
        log_std = log_std.clone()
        log_std.clamp_(-5.0, 2.0)
        return mean, log_std


class Attention(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        q = q * self.scale
        out = (q @ k.transpose(-2, -1)).softmax(-1) @ v
        return out.transpose(1, 2).reshape(b, n, c)


class BoxHead(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.fc = nn.Linear(dim, 5)

    def forward(self, h):
        xy, wh, score = self.fc(h).split([2, 2, 1], dim=-1)
        wh = torch.exp(torch.clamp(wh, max=4.0))
        return torch.cat([xy.sigmoid(), wh, torch.sigmoid(score)], dim=-1)


torch.manual_seed(0)
policy, attention, head = GaussianPolicy(), Attention(), BoxHead()
params = [*policy.parameters(), *attention.parameters(), *head.parameters()]
opt = torch.optim.Adam(params, lr=1e-3)
for step in range(12):
    obs = torch.randn(32, 6)
    mean, log_std = policy(obs)
    actions = mean + log_std.exp() * torch.randn_like(mean)
    policy_loss = (actions - 0.5).pow(2).mean() + 0.01 * log_std.pow(2).mean()
    tokens = torch.randn(4, 5, 16)
    boxes = head(attention(tokens))
    box_loss = F.mse_loss(boxes, torch.rand_like(boxes))
    loss = policy_loss + box_loss
    opt.zero_grad()
    loss.backward()
    opt.step()
print(loss.item())
