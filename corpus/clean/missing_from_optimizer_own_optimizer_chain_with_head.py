"""Multi-label tagging with a hand-written Adafactor-style optimizer (factored second moments);
the encoder and the separate tag head are chained into it."""
import itertools

import torch
import torch.nn as nn
from torch.optim import Optimizer


class FactoredRMS(Optimizer):
    def __init__(self, params, lr=1e-2, beta2=0.99, eps=1e-30):
        super().__init__(params, dict(lr=lr, beta2=beta2, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g2 = p.grad.square() + group["eps"]
                state = self.state[p]
                if p.dim() == 2:
                    if not state:
                        state["row"], state["col"] = g2.mean(1), g2.mean(0)
                    state["row"].lerp_(g2.mean(1), 1 - group["beta2"])
                    state["col"].lerp_(g2.mean(0), 1 - group["beta2"])
                    v = torch.outer(state["row"], state["col"]) / state["row"].mean()
                else:
                    if not state:
                        state["v"] = g2.clone()
                    state["v"].lerp_(g2, 1 - group["beta2"])
                    v = state["v"]
                p.sub_(group["lr"] * p.grad / v.sqrt())


torch.manual_seed(5)
features = torch.randn(300, 20)
tags = (features[:, :6] > 0.3).float()
encoder = nn.Sequential(nn.Linear(20, 40), nn.GELU(), nn.LayerNorm(40))
tagger = nn.Linear(40, 6)
optimizer = FactoredRMS(itertools.chain(encoder.parameters(), tagger.parameters()), lr=5e-3)
criterion = nn.BCEWithLogitsLoss()

for epoch in range(3):
    for start in range(0, 300, 50):
        logits = tagger(encoder(features[start:start + 50]))
        loss = criterion(logits, tags[start:start + 50])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
