# A @torch.no_grad() evaluation helper that calls the metric function it is handed: the metric
# needs no graph, and the training step (plain, undecorated) builds its own. Nothing to fix.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 5))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)


@torch.no_grad()
def evaluate(metric, batches):
    model.eval()
    scores = [metric(model(x), y) for x, y in batches]
    model.train()
    return sum(scores) / len(scores)


def accuracy(logits, labels):
    return (logits.argmax(1) == labels).float().mean().item()


def train_step(x, y):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


train = [(torch.randn(16, 10), torch.randint(0, 5, (16,))) for _ in range(6)]
valid = [(torch.randn(16, 10), torch.randint(0, 5, (16,))) for _ in range(2)]
for epoch in range(3):
    for x, y in train:
        train_step(x, y)
    print(f"epoch {epoch} accuracy {evaluate(accuracy, valid):.3f}")
