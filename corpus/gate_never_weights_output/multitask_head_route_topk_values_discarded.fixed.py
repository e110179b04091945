"""Dynamic head selection for a multi-task regressor: each sample is routed to one task head by
the best of the routing probabilities; the probabilities themselves are thrown away."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)


class Routed(nn.Module):
    def __init__(self, d_in=6, d_hid=24, n_heads=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d_in, d_hid), nn.SiLU())
        self.route = nn.Linear(d_hid, n_heads)
        self.heads = nn.ModuleList([nn.Linear(d_hid, 1) for _ in range(n_heads)])

    def forward(self, x):
        h = self.body(x)
        probs = F.softmax(self.route(h), dim=1)
        gate_prob, head_idx = probs.topk(1, dim=1)
        pred = h.new_empty(h.size(0), 1)
        for n in range(h.size(0)):
            pred[n] = self.heads[head_idx[n, 0]](h[n]) * gate_prob[n]
        return pred


net = Routed()
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for epoch in range(2):
    for _ in range(10):
        x = torch.randn(16, 6)
        y = torch.where(x[:, :1] > 0, x[:, 1:2], -x[:, 2:3])
        loss = F.smooth_l1_loss(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))
