# Report: https://github.com/KwangHoonAn/PACT/issues/4
# The report asks why the PACT activation quantizer needs its hand-written backward, on the view that
# autograd alone would give the gradient of the learnable clipping level alpha.
"""4-bit quantization-aware training of a small CNN: PACT activations + DoReFa-style weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
A_BITS, W_BITS = 4, 4


def round_ste(x):
    return x + (torch.round(x) - x).detach()


class PACT(nn.Module):
    """Clipped ReLU with a learnable upper bound alpha, followed by uniform k-bit quantization."""

    def __init__(self, bits=A_BITS, alpha=3.0):
        super().__init__()
        self.bits = bits
        self.alpha = nn.Parameter(torch.tensor(alpha))

    def forward(self, x):
        y = torch.minimum(x.clamp(min=0), self.alpha)
        scale = (2 ** self.bits - 1) / self.alpha.detach()
        return round_ste(y * scale) / scale


class QConv2d(nn.Conv2d):
    def __init__(self, *args, bits=W_BITS, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits

    def quant_weight(self):
        w = torch.tanh(self.weight)
        w = w / (2 * w.abs().max().detach()) + 0.5
        n = 2 ** self.bits - 1
        return 2 * round_ste(w * n) / n - 1

    def forward(self, x):
        return F.conv2d(x, self.quant_weight(), self.bias, self.stride, self.padding)


class QATNet(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), PACT())
        self.body = nn.Sequential(
            QConv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), PACT(), nn.MaxPool2d(2),
            QConv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), PACT(), nn.MaxPool2d(2),
        )
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        h = self.body(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def make_data(n, seed):
    """Oriented bars (4 orientations) on noisy 16x16 images."""
    g = torch.Generator().manual_seed(seed)
    x = 0.3 * torch.randn(n, 1, 16, 16, generator=g)
    y = torch.randint(0, 4, (n,), generator=g)
    r = torch.arange(16)
    for i in range(n):
        off = int(torch.randint(4, 12, (1,), generator=g))
        k = int(y[i])
        if k == 0:
            x[i, 0, off, :] += 2.0
        elif k == 1:
            x[i, 0, :, off] += 2.0
        elif k == 2:
            x[i, 0, r, r] += 2.0
        else:
            x[i, 0, r, 15 - r] += 2.0
    return TensorDataset(x, y)


def param_groups(model, alpha_decay=5e-4):
    alphas = [m.alpha for m in model.modules() if isinstance(m, PACT)]
    alpha_ids = {id(a) for a in alphas}
    rest = [p for p in model.parameters() if id(p) not in alpha_ids]
    return [{"params": rest, "weight_decay": 0.0}, {"params": alphas, "weight_decay": alpha_decay}]


def evaluate(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1).cpu() == y).sum().item()
    model.train()
    return correct / len(loader.dataset)


def main():
    global model
    model = QATNet().to(device)
    opt = torch.optim.SGD(param_groups(model), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[4], gamma=0.3)
    train_loader = DataLoader(make_data(768, 0), batch_size=64, shuffle=True)
    val_loader = DataLoader(make_data(256, 1), batch_size=128)
    for epoch in range(6):
        tot = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item()
        sched.step()
        alphas = ", ".join(f"{m.alpha.item():.3f}" for m in model.modules() if isinstance(m, PACT))
        print(f"epoch {epoch}: loss {tot / len(train_loader):.4f}  val acc {evaluate(model, val_loader):.3f}  alphas [{alphas}]")


if __name__ == "__main__":
    main()
