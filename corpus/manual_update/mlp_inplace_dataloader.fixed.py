import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(256, 5)
y = (x[:, 0] * x[:, 1] > 0).long()
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)

# two-layer network written with raw tensors
w1 = torch.randn(5, 16, requires_grad=True)
b1 = torch.zeros(16, requires_grad=True)
w2 = torch.randn(16, 2, requires_grad=True)
b2 = torch.zeros(2, requires_grad=True)
lr = 0.05

for epoch in range(3):
    total = 0.0
    for xb, yb in loader:
        hidden = torch.relu(xb @ w1 + b1)
        loss = F.cross_entropy(hidden @ w2 + b2, yb)
        loss.backward()
        with torch.no_grad():
            w1 -= lr * w1.grad
            b1 -= lr * b1.grad
            w2 -= lr * w2.grad
            b2 -= lr * b2.grad
        w1.grad.zero_()
        b1.grad.zero_()
        w2.grad.zero_()
        b2.grad.zero_()
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}")
