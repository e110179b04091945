"""A conditional decoder: every query position cross-attends to the one conditioning vector,
written as attention over a single key token, with multi-head scores of shape (B, H, L, 1)."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class ConditionAttention(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim)
        self.to_k = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)

    def forward(self, x, cond):
        b, n, d = x.shape
        q = self.to_q(x).view(b, n, self.heads, -1).transpose(1, 2)
        k = self.to_k(cond).view(b, 1, self.heads, -1).transpose(1, 2)
        v = self.to_v(cond).view(b, 1, self.heads, -1).transpose(1, 2)
        attn = (q @ k.transpose(-1, -2) / q.size(-1) ** 0.5).softmax(dim=-1)
        return x + (attn @ v).transpose(1, 2).reshape(b, n, d)


block = ConditionAttention()
head = nn.Linear(16, 1)
opt = torch.optim.Adam([*block.parameters(), *head.parameters()], lr=1e-3)
for step in range(20):
    x, cond = torch.randn(8, 5, 16), torch.randn(8, 16)
    loss = (head(block(x, cond)).mean(dim=1) - cond.mean(dim=1, keepdim=True)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
