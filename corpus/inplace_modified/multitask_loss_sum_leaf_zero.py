# Multi-task tabular model: one head per target, the losses summed into a running total that
# starts from a zero tensor.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
TASKS = {"churn": 2, "upsell": 3, "tenure_bucket": 4}


class MultiTaskNet(nn.Module):
    def __init__(self, n_features=12, hidden=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU())
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, k) for name, k in TASKS.items()})

    def forward(self, x):
        h = self.trunk(x)
        return {name: head(h) for name, head in self.heads.items()}


def total_loss(outputs, targets, weights):
    total = torch.zeros((), requires_grad=True)
    for name, logits in outputs.items():
        total += weights[name] * F.cross_entropy(logits, targets[name])
    return total


features = torch.randn(512, 12)
targets = {name: torch.randint(0, k, (512,)) for name, k in TASKS.items()}
weights = {"churn": 1.0, "upsell": 0.5, "tenure_bucket": 0.25}
model = MultiTaskNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(4):
    for i in range(0, 512, 64):
        batch = {name: t[i:i + 64] for name, t in targets.items()}
        loss = total_loss(model(features[i:i + 64]), batch, weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
