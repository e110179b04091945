# MLP classifier with a train_step() helper; the loss is marked trainable before backward().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(200, 10)
y = (x[:, 0] - x[:, 3] > 0).long()

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(xb, yb):
    logits = model(xb)
    loss = F.cross_entropy(logits, yb)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


for epoch in range(5):
    for i in range(0, 200, 50):
        loss = train_step(x[i:i + 50], y[i:i + 50])
    print(f"epoch {epoch}: loss {loss:.4f}")
