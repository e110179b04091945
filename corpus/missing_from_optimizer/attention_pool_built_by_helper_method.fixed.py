# Multiple-instance classifier over bags of instance embeddings: an attention pool scores each
# instance. The pool is made by _build_pool() on the first bag, from the embedding width; bags
# are synthesised inside the loop.
import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionMIL(nn.Module):
    def __init__(self, d_in=12, d_hidden=24):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(d_in, d_hidden), nn.Tanh())
        self.classify = nn.Linear(d_hidden, 1)
        self.pool = None

    def _build_pool(self, h):
        self.pool = nn.Sequential(nn.Linear(h.shape[-1], 16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, bag):
        h = self.embed(bag)
        if self.pool is None:
            self._build_pool(h)
        weights = torch.softmax(self.pool(h), dim=0)
        return self.classify((weights * h).sum(0))


torch.manual_seed(8)
mil = AttentionMIL()
opt = torch.optim.Adam(mil.parameters(), lr=2e-3)
for step in range(60):
    bag = torch.randn(int(torch.randint(4, 12, (1,))), 12)
    label = (bag[:, 0] > 1.5).any().float().reshape(1)
    loss = F.binary_cross_entropy_with_logits(mil(bag), label)
    if not any(p is mil.pool[0].weight for group in opt.param_groups for p in group["params"]):
        opt.add_param_group({"params": mil.pool.parameters()})
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 0:
        print(step, loss.item())
