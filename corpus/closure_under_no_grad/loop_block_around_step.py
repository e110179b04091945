# The training loop calls a hand-written momentum optimizer's step(closure) inside
# `with torch.no_grad():`, because the step updates the weights in place. The step calls the closure
# there, and the forward inside the closure builds no graph.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Momentum(torch.optim.Optimizer):
    def __init__(self, params, lr=0.05, beta=0.9):
        super().__init__(params, dict(lr=lr, beta=beta))

    def step(self, closure):
        loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                buf = self.state[p].setdefault("buf", torch.zeros_like(p))
                buf.mul_(group["beta"]).add_(p.grad)
                p.sub_(group["lr"] * buf)
        return loss


encoder = nn.Sequential(nn.Conv1d(2, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten())
head = nn.Linear(8, 1)
optimizer = Momentum(list(encoder.parameters()) + list(head.parameters()))
signals = torch.randn(32, 2, 20)
targets = signals.mean(dim=(1, 2)).unsqueeze(1)

for epoch in range(10):
    def closure():
        optimizer.zero_grad()
        loss = F.smooth_l1_loss(head(encoder(signals)), targets)
        loss.backward()
        return loss

    with torch.no_grad():
        loss = optimizer.step(closure)
    print(epoch, round(loss.item(), 4))
