"""Quantization-aware fine-tuning of a small glyph CNN with learned step sizes (LSQ, 4-bit weights).

The float model is trained first; every Conv2d is then converted with LSQConv2d.from_float, the
way torch.ao's QAT modules are, and fine-tuned.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
BITS = 4


def round_ste(x):
    return (x.round() - x).detach() + x


class LSQConv2d(nn.Conv2d):
    """Conv2d whose weights pass through a fake quantizer with a learnable step size."""

    def __init__(self, *args, bits=8, **kwargs):
        super().__init__(*args, **kwargs)
        self.qmax = 2 ** (bits - 1) - 1
        self.step_size = nn.Parameter(torch.tensor(1.0))

    @classmethod
    def from_float(cls, conv, bits):
        q = cls(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                padding=conv.padding, bias=conv.bias is not None, bits=bits)
        q.load_state_dict(conv.state_dict(), strict=False)
        with torch.no_grad():
            q.step_size.fill_(2 * conv.weight.abs().mean().item() / q.qmax ** 0.5)
        return q

    def forward(self, x):
        w = round_ste((self.weight / self.step_size).clamp(-self.qmax - 1, self.qmax)) * self.step_size
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


GLYPHS = (torch.rand(10, 1, 12, 12, generator=torch.Generator().manual_seed(1)) > 0.6).float()


def glyph_batch(n, g):
    y = torch.randint(0, 10, (n,), generator=g)
    shift = torch.randint(-1, 2, (2,), generator=g).tolist()
    x = GLYPHS[y].roll(shifts=shift, dims=(2, 3)) + 0.4 * torch.randn(n, 1, 12, 12, generator=g)
    return x, y


def fit(net, steps, lr, g):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        x, y = glyph_batch(64, g)
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


net = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(32 * 3 * 3, 10),
)
g = torch.Generator().manual_seed(0)
print(f"float: loss {fit(net, 40, 1e-2, g):.3f}")

for name, module in net.named_modules():
    if isinstance(module, nn.Conv2d):
        module = LSQConv2d.from_float(module, bits=BITS)

print(f"qat:   loss {fit(net, 30, 2e-3, g):.3f}")
