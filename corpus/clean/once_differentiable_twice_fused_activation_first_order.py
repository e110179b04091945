"""An MLP classifier whose activation is a fused Function with an @once_differentiable backward.
The loss is a plain cross-entropy: the backward runs once per step, which the decorator allows."""
import torch
from torch import nn
from torch.autograd.function import once_differentiable

torch.manual_seed(0)


class FusedGELU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return nn.functional.gelu(x, approximate="tanh")

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        c = 0.7978845608 * (x + 0.044715 * x ** 3)
        t = torch.tanh(c)
        dc = 0.7978845608 * (1 + 3 * 0.044715 * x ** 2)
        return grad_output * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dc)


class Classifier(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(20, hidden), nn.Linear(hidden, 3)

    def forward(self, x):
        return self.fc2(FusedGELU.apply(self.fc1(x)))


features = torch.randn(512, 20)
labels = (features[:, :3].argmax(dim=1) + (features[:, 3] > 1).long()) % 3
model = Classifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(10):
    for i in range(0, 512, 64):
        loss = nn.functional.cross_entropy(model(features[i:i + 64]), labels[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
