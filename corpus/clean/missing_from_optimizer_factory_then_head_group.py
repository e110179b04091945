"""A pretrained-style encoder fine-tuned with a factory-built optimizer; the new head is added as a
param group of its own with a larger learning rate, right after."""
import torch
import torch.nn as nn


class Lamb(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = self.state[p]
                if not s:
                    s["m"], s["v"] = torch.zeros_like(p), torch.zeros_like(p)
                s["m"].mul_(b1).add_(p.grad, alpha=1 - b1)
                s["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                update = s["m"] / (s["v"].sqrt() + group["eps"])
                trust = (p.norm() / update.norm().clamp_min(1e-12)).clamp(max=10.0)
                p.sub_(group["lr"] * trust * update)


def make_optimizer(module, lr):
    return Lamb(module.parameters(), lr=lr)


def run():
    torch.manual_seed(11)
    x = torch.randn(240, 16)
    y = (x[:, 0] * x[:, 1] > 0).long()
    encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
    head = nn.Linear(32, 2)
    opt = make_optimizer(encoder, 1e-3)
    opt.add_param_group({"params": head.parameters(), "lr": 1e-2})
    for epoch in range(3):
        for i in range(0, 240, 40):
            loss = nn.functional.cross_entropy(head(encoder(x[i:i + 40])), y[i:i + 40])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, round(loss.item(), 4))


if __name__ == "__main__":
    run()
