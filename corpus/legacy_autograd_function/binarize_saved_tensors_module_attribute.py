import torch
import torch.nn as nn


class BinarizeSTE(torch.autograd.Function):
    """sign() forward, the gradient passed through where |x| <= 1 (a straight-through estimator)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x.sign()

    def backward(self, grad_output):
        x, = self.saved_tensors
        return grad_output * (x.abs() <= 1).float()


class BinaryMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 64)
        self.binarize = BinarizeSTE()
        self.fc2 = nn.Linear(64, 3)

    def forward(self, x):
        return self.fc2(self.binarize(self.fc1(x)))


torch.manual_seed(0)
data = torch.randn(300, 16)
labels = data[:, :3].argmax(1)
model = BinaryMLP()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    for x, y in zip(data.split(50), labels.split(50)):
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 3))
