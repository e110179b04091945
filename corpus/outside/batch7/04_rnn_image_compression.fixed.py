"""Progressive image compression with a convolutional-recurrent encoder, a stochastic
binarizer and a recurrent decoder (Toderici et al. style), on synthetic 16x16 patches.
Each iteration encodes the current residual into 1 bit per code channel."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

ITERATIONS, BITS = 4, 8


class ConvRNNCell(nn.Module):
    def __init__(self, in_ch, hid_ch, stride=1):
        super().__init__()
        self.hid_ch = hid_ch
        self.conv_ih = nn.Conv2d(in_ch, 4 * hid_ch, 3, stride=stride, padding=1)
        self.conv_hh = nn.Conv2d(hid_ch, 4 * hid_ch, 3, padding=1)

    def forward(self, x, state):
        h, c = state
        gates = self.conv_ih(x) + self.conv_hh(h)
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, c


class SignFunction(Function):
    """Stochastic binarization in training, deterministic sign at test time."""

    @staticmethod
    def forward(ctx, input, is_training=True):
        if is_training:
            prob = input.new(input.size()).uniform_()
            x = input.clone()
            x[(1 - input) / 2 <= prob] = 1
            x[(1 - input) / 2 > prob] = -1
            return x
        return input.sign()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class Binarizer(nn.Module):
    def __init__(self, in_ch, bits):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, bits, 1, bias=False)

    def forward(self, x):
        return SignFunction.apply(torch.tanh(self.conv(x)), self.training)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, stride=2, padding=1)
        self.rnn1 = ConvRNNCell(32, 32, stride=2)

    def forward(self, x, h1):
        x = self.conv(x)
        h1 = self.rnn1(x, h1)
        return h1[0], h1


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(BITS, 32, 1)
        self.rnn1 = ConvRNNCell(32, 32)
        self.conv2 = nn.Conv2d(8, 3, 1)

    def forward(self, code, h1):
        x = self.conv1(code)
        h1 = self.rnn1(x, h1)
        x = F.pixel_shuffle(h1[0], 2)            # 32ch 4x4 -> 8ch 8x8
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return torch.tanh(self.conv2(x)) / 2, h1


def init_state(b, ch, hw):
    z = torch.zeros(b, ch, hw, hw, device=device)
    return (z, z.clone())


def synthetic_patches(n):
    xs = torch.linspace(-1, 1, 16)
    yy, xx = torch.meshgrid(xs, xs, indexing="ij")
    freq = torch.rand(n, 3, 1, 1) * 3
    phase = torch.rand(n, 3, 1, 1) * 6.28
    return 0.5 * torch.sin(freq * (xx + yy) * 3 + phase)


encoder, binarizer, decoder = Encoder().to(device), Binarizer(32, BITS).to(device), Decoder().to(device)
params = list(encoder.parameters()) + list(binarizer.parameters()) + list(decoder.parameters())
optimizer = torch.optim.Adam(params, lr=5e-4)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[20], gamma=0.5)

for step in range(30):
    patches = synthetic_patches(16).to(device)
    b = patches.shape[0]
    enc_h = init_state(b, 32, 4)
    dec_h = init_state(b, 32, 4)
    res = patches - 0.0
    losses = []
    optimizer.zero_grad()
    for _ in range(ITERATIONS):
        feat, enc_h = encoder(res, enc_h)
        codes = binarizer(feat)
        output, dec_h = decoder(codes, dec_h)
        res = res - output
        losses.append(res.abs().mean())
    loss = sum(losses) / ITERATIONS
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 10 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}  final residual {losses[-1].item():.4f}")
