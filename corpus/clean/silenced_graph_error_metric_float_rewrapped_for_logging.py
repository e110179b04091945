# Correct: accuracy is computed as a float, logged, and re-wrapped into a tensor only to average
# the log with torch.stack; the loss that is backpropagated is the criterion's tensor.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
x = torch.randn(160, 6)
y = (x[:, 0] * x[:, 1] > 0).long()
model = nn.Sequential(nn.Linear(6, 24), nn.ReLU(), nn.Linear(24, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
accuracy_log = []

for epoch in range(4):
    for xb, yb in zip(x.split(40), y.split(40)):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        acc = float((logits.argmax(1) == yb).float().mean())
        accuracy_log.append(torch.tensor(acc))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    mean_acc = torch.stack(accuracy_log[-4:]).mean()
    print(f"epoch {epoch}: accuracy {mean_acc.item():.3f}")
