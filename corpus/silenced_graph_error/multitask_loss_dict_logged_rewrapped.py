# Two-headed regressor/classifier: the loss terms are logged with {k: v.item()}, then the total is
# re-wrapped from the logged numbers.
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(12, 32), nn.Tanh())
        self.reg_head = nn.Linear(32, 1)
        self.cls_head = nn.Linear(32, 4)

    def forward(self, x):
        h = self.trunk(x)
        return self.reg_head(h).squeeze(-1), self.cls_head(h)


torch.manual_seed(2)
x = torch.randn(160, 12)
y_reg = x[:, :3].sum(1)
y_cls = x[:, 3:7].argmax(1)
net = TwoHeads()
opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
meters = defaultdict(list)

for step in range(20):
    idx = torch.randint(0, 160, (32,))
    pred, logits = net(x[idx])
    terms = {"mse": F.mse_loss(pred, y_reg[idx]), "ce": F.cross_entropy(logits, y_cls[idx])}
    terms["total"] = terms["mse"] + 0.5 * terms["ce"]
    logged = {k: v.item() for k, v in terms.items()}
    for k, v in logged.items():
        meters[k].append(v)
    total = torch.tensor(logged["total"], requires_grad=True)
    opt.zero_grad()
    total.backward()
    opt.step()
    if step % 5 == 0:
        print(step, {k: round(sum(v) / len(v), 4) for k, v in meters.items()})
