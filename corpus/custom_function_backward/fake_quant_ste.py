"""Quantization-aware training: activations pass through a fake-quantizer whose backward is the
straight-through estimator."""
import torch
from torch import nn
from torch.autograd import Function as AutogradFunction
from torch.utils.data import DataLoader, TensorDataset


class FakeQuantize(AutogradFunction):
    @staticmethod
    def forward(ctx, x, scale, num_bits):
        qmax = 2 ** (num_bits - 1) - 1
        return torch.clamp(torch.round(x / scale), -qmax - 1, qmax) * scale

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class QuantConvNet(nn.Module):
    def __init__(self, num_bits=8):
        super().__init__()
        self.num_bits = num_bits
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.head = nn.Linear(16, 10)

    def quant(self, x):
        scale = x.detach().abs().max().clamp(min=1e-8) / (2 ** (self.num_bits - 1) - 1)
        return FakeQuantize.apply(x, scale.item(), self.num_bits)

    def forward(self, x):
        x = self.quant(torch.relu(self.conv1(x)))
        x = self.quant(torch.relu(self.conv2(x)))
        return self.head(x.mean(dim=(2, 3)))


images = torch.randn(96, 1, 12, 12)
labels = torch.randint(0, 10, (96,))
loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)
net = QuantConvNet()
opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(4):
    for xb, yb in loader:
        opt.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
