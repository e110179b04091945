"""A 4-bit weight-quantised CNN for 16x16 two-class images (vertical against horizontal stripes).
Each convolution fake-quantises its weight with one step size per output channel; the step sizes
are parameters, initialised from the weights' range, and trained with them."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(0)


class QuantConv2d(nn.Conv2d):
    def __init__(self, *args, bits=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.quant_min, self.quant_max = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        init = self.weight.detach().abs().amax(dim=(1, 2, 3)) / self.quant_max
        self.weight_scale = nn.Parameter(init)
        self.register_buffer("weight_zero_point", torch.zeros(self.out_channels, dtype=torch.int32))

    def forward(self, x):
        weight = torch.fake_quantize_per_channel_affine(
            self.weight, self.weight_scale, self.weight_zero_point, 0, self.quant_min, self.quant_max
        )
        return self._conv_forward(x, weight, self.bias)


def stripes(n):
    images = torch.randn(n, 1, 16, 16) * 0.3
    labels = torch.randint(0, 2, (n,))
    pattern = (torch.arange(16) % 4 < 2).float()
    images[labels == 0] += pattern.view(1, 1, 16)
    images[labels == 1] += pattern.view(1, 16, 1)
    return images, labels


model = nn.Sequential(
    QuantConv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    QuantConv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
    nn.Flatten(), nn.Linear(16, 2),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(150):
    images, labels = stripes(32)
    loss = F.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 30 == 0:
        print(f"step {step}: loss {loss.item():.3f}")
