import argparse

import torch as T
import torch.nn as nn


class CenterLoss(nn.Module):
    def __init__(self, num_classes, dim):
        super().__init__()
        self.centers = nn.Parameter(T.zeros(num_classes, dim))

    def forward(self, z, labels):
        return (z - self.centers[labels]).pow(2).sum(1).mean()


parser = argparse.ArgumentParser()
parser.add_argument("--dim", type=int, default=10)
parser.add_argument("--proj-dim", type=int, default=4)
parser.add_argument("--classes", type=int, default=3)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--center-weight", type=float, default=0.05)
args = parser.parse_args()

T.manual_seed(0)
x = T.randn(90, args.dim)
y = T.randint(0, args.classes, (90,))

model = nn.Sequential(nn.Linear(args.dim, 32), nn.ReLU(), nn.Linear(32, args.classes))
proj = nn.Linear(args.classes, args.proj_dim)  # embedding used by the center term
criterion = CenterLoss(args.classes, args.proj_dim)
optimizer = T.optim.Adam(list(model.parameters()) + list(proj.parameters()) + list(criterion.parameters()), lr=1e-2)

for epoch in range(args.epochs):
    optimizer.zero_grad()
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y) + args.center_weight * criterion(proj(logits), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
