"""Mixture of experts: the router's load-balancing loss goes into the dict of losses that is
logged, but the total the trainer backpropagates is only the task loss, so the router learns
nothing."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class MoE(nn.Module):
    def __init__(self, dim=8, experts=4, classes=3):
        super().__init__()
        self.router = nn.Linear(dim, experts)
        self.experts = nn.ModuleList(nn.Linear(dim, classes) for _ in range(experts))

    def forward(self, x):
        gates = F.softmax(self.router(x), dim=-1)
        top = gates.argmax(dim=-1)
        outs = torch.stack([expert(x) for expert in self.experts], dim=1)
        picked = outs[torch.arange(len(x)), top]
        # the share of the batch each expert gets, times its mean gate: low when balanced
        share = F.one_hot(top, gates.shape[-1]).float().mean(0)
        balance = gates.shape[-1] * (share * gates.mean(0)).sum()
        return picked, balance


class Trainer:
    def __init__(self, model):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-2)

    def step(self, x, y):
        logits, balance = self.model(x)
        losses = {"task": F.cross_entropy(logits, y), "balance": balance}
        total = losses["task"]
        self.opt.zero_grad()
        total.backward()
        self.opt.step()
        return {k: v.item() for k, v in losses.items()}


trainer = Trainer(MoE())
for it in range(30):
    x, y = torch.randn(32, 8), torch.randint(0, 3, (32,))
    logged = trainer.step(x, y)
    if it % 10 == 0:
        print(it, logged)
