import torch
import torch.nn as nn
from torch import optim


class Scorer(nn.Module):
    def __init__(self, dim=10):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 16), nn.Tanh(), nn.Linear(16, 1))

    def forward(self, items):
        return self.net(items).squeeze(-1)


class RankTrainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = optim.Adam(model.parameters(), lr=lr)

    def step(self, positives, negatives):
        self.optimizer.zero_grad()
        pos_scores = self.model(positives)
        neg_scores = self.model(negatives)
        # fraction of mis-ordered pairs
        loss = (pos_scores <= neg_scores).float().mean()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
positives = torch.randn(64, 10) + 0.5
negatives = torch.randn(64, 10) - 0.5
trainer = RankTrainer(Scorer())
for it in range(5):
    print(f"iter {it}: misordered {trainer.step(positives, negatives):.4f}")
