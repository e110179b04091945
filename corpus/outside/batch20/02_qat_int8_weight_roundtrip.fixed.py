# Reproduces: https://discuss.pytorch.org/t/can-we-calculate-gradients-for-quantized-models/133575
# Hand-written quantization-aware training of a small CNN. Each layer rounds its weight
# to int8 with torch.quantize_per_tensor(...).dequantize(). Activations go through
# torch.fake_quantize_per_tensor_affine, which passes gradients straight through.
# Real quantized tensors have no autograd formula, as the forum answer says.
# The dequantized weight is a new tensor with no graph back to self.weight, so no
# conv or linear weight ever gets a gradient. AdamW skips parameters whose .grad is None,
# so the weights keep their initial values. Only the BatchNorm affine parameters and
# the classifier bias train, and accuracy stalls.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    p = argparse.ArgumentParser(description="int8 QAT for a tiny digit classifier")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--act-bits", type=int, default=8)
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


def make_digits(n, seed):
    """16x16 'digits': each class is a fixed random stroke pattern plus noise and shift."""
    g = torch.Generator().manual_seed(seed)
    protos = (torch.rand(10, 1, 16, 16, generator=torch.Generator().manual_seed(123)) > 0.75).float()
    y = torch.randint(0, 10, (n,), generator=g)
    x = protos[y] + 0.35 * torch.randn(n, 1, 16, 16, generator=g)
    shifts = torch.randint(-1, 2, (n, 2), generator=g)
    x = torch.stack([torch.roll(img, tuple(s.tolist()), dims=(1, 2)) for img, s in zip(x, shifts)])
    return x, y


def quantize_weight(w, bits=8):
    qmax = 2 ** (bits - 1) - 1
    scale = float(w.detach().abs().max()) / qmax + 1e-12
    return torch.fake_quantize_per_tensor_affine(w, scale, 0, -qmax - 1, qmax)


class ActQuant(nn.Module):
    """Fake-quantizes activations to unsigned ints with a running max (EMA observer)."""

    def __init__(self, bits=8, momentum=0.1):
        super().__init__()
        self.qmax = 2 ** bits - 1
        self.momentum = momentum
        self.register_buffer("running_max", torch.tensor(1.0))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.running_max.mul_(1 - self.momentum).add_(self.momentum * x.detach().max())
        scale = float(self.running_max.clamp(min=1e-6)) / self.qmax
        return torch.fake_quantize_per_tensor_affine(x, scale, 0, 0, self.qmax)


class QConv2d(nn.Conv2d):
    def forward(self, x):
        w = quantize_weight(self.weight)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class QLinear(nn.Linear):
    def forward(self, x):
        return F.linear(x, quantize_weight(self.weight), self.bias)


class QNet(nn.Module):
    def __init__(self, act_bits):
        super().__init__()
        self.conv1 = QConv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = QConv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.act1 = ActQuant(act_bits)
        self.act2 = ActQuant(act_bits)
        self.fc = QLinear(32 * 4 * 4, 10)

    def forward(self, x):
        x = self.act1(F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2))
        x = self.act2(F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2))
        return self.fc(x.flatten(1))


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


def main():
    args = get_args()
    torch.manual_seed(args.seed)
    xtr, ytr = make_digits(1024, seed=1)
    xva, yva = make_digits(256, seed=2)
    train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(TensorDataset(xva, yva), batch_size=256)

    global model
    model = QNet(args.act_bits)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for x, y in train_loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
        print(f"epoch {epoch}: loss {total / len(xtr):.4f}  val acc {evaluate(model, val_loader):.3f}")


if __name__ == "__main__":
    main()
