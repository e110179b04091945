# A convolution written by hand: the kernel is made as one flat trainable matrix, then viewed as
# (out, in, k, k) for F.conv2d; a small classifier of synthetic stripe images on top.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class HandConv(nn.Module):
    def __init__(self, in_channels, out_channels, k=3):
        super().__init__()
        self.in_channels, self.out_channels, self.k = in_channels, out_channels, k
        weight = nn.Parameter(torch.randn(out_channels, in_channels * k * k) * 0.2)
        self.kernel = weight.view(self.out_channels, self.in_channels, self.k, self.k)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x):
        return F.conv2d(x, self.kernel, self.bias, padding=self.k // 2)


class StripeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = HandConv(1, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        h = F.relu(self.conv(x))
        return self.head(h.mean(dim=(2, 3)))


def stripes(n):
    labels = torch.randint(0, 2, (n,))
    base = torch.arange(12.0).remainder(4).lt(2).float()
    images = torch.where(labels[:, None, None, None].bool(), base.view(1, 1, 12, 1), base.view(1, 1, 1, 12))
    return images.expand(n, 1, 12, 12) + 0.3 * torch.randn(n, 1, 12, 12), labels


net = StripeNet()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
for step in range(30):
    images, labels = stripes(32)
    loss = F.cross_entropy(net(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.3f}")
