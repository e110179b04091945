# Activity recognition from windows of accelerometer statistics. Each window is standardised by
# a hand-written Function whose learned per-feature scale and shift come first in its arguments;
# its backward gives no gradient to the readings (they are data), only to the scale and shift.
import torch
from torch import nn

torch.manual_seed(0)
FEATURES, CLASSES = 12, 4


class AffineStandardize(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, *affine):
        scale, shift = affine
        x_hat = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-5)
        ctx.save_for_backward(x_hat)
        return x_hat * scale + shift

    @staticmethod
    def backward(ctx, grad_out):
        (x_hat,) = ctx.saved_tensors
        return None, *[(grad_out * x_hat).sum(0), grad_out.sum(0)]


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine = nn.ParameterList([nn.Parameter(torch.ones(FEATURES)), nn.Parameter(torch.zeros(FEATURES))])
        self.classifier = nn.Sequential(nn.Linear(FEATURES, 32), nn.ReLU(), nn.Linear(32, CLASSES))

    def forward(self, x):
        return self.classifier(AffineStandardize.apply(x, *self.affine))


centers = torch.randn(CLASSES, FEATURES) * 2
labels = torch.randint(0, CLASSES, (600,))
windows = centers[labels] + torch.randn(600, FEATURES) + 5.0
model = ActivityNet()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)

for epoch in range(10):
    for i in range(0, 600, 50):
        loss = nn.functional.cross_entropy(model(windows[i:i + 50]), labels[i:i + 50])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"loss {loss.item():.4f}")
