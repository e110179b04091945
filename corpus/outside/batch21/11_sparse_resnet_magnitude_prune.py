"""Sparse training of a small ResNet pruned at initialisation by global weight magnitude.

Report: https://github.com/rahulvigneswaran/Lottery-Ticket-Hypothesis-in-Pytorch/issues/5
("Freezing Pruned weights smaller than 1e-6": the training loop freezes every "weight" entry whose
current value is below EPS by zeroing its gradient, which freezes more than the pruned weights.)

Fault (own words): after pruning, the training step keeps pruned weights at zero the way that
repository does: for every parameter whose name contains "weight", zero the gradient wherever the
weight's value is (near) zero. The ResNet uses zero_init_residual, so the last BatchNorm of every
residual block starts with gamma == 0; its name ends in ".weight", its gradient is zeroed, it stays
0 forever, and with gamma == 0 no gradient reaches the block's convolutions either. Every
residual branch keeps its initial weights; only the stem, the shortcuts, the BN biases and the
classifier learn.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(11)
device = "cuda" if torch.cuda.is_available() else "cpu"

SPARSITY = 0.6      # fraction of conv/linear weights removed at init
EPS = 1e-6
EPOCHS = 5
LR = 2e-3
BATCH = 64


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetSmall(nn.Module):
    def __init__(self, num_classes=4, zero_init_residual=True):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.fc = nn.Linear(32, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def make_data(n, gen):
    """4 classes of 16x16 'textures': oriented stripes plus a colour cast."""
    y = torch.randint(0, 4, (n,), generator=gen)
    xs = torch.linspace(0, 6.28, 16)
    gx, gy = torch.meshgrid(xs, xs, indexing="ij")
    patterns = torch.stack([torch.sin(2 * gx), torch.sin(2 * gy), torch.sin(2 * (gx + gy)), torch.sin(2 * (gx - gy))])
    x = patterns[y].unsqueeze(1).repeat(1, 3, 1, 1)
    x = x + 0.3 * torch.randn(n, 3, 1, 1, generator=gen) + 0.8 * torch.randn(n, 3, 16, 16, generator=gen)
    return x, y


def prunable(model):
    return {n: p for n, p in model.named_parameters() if p.dim() > 1}  # conv and linear weights


def magnitude_masks(model, sparsity):
    scores = {n: p.detach().abs() for n, p in prunable(model).items()}
    flat = torch.cat([s.flatten() for s in scores.values()])
    k = int(sparsity * flat.numel())
    threshold = flat.kthvalue(k).values
    return {n: (s > threshold).float() for n, s in scores.items()}


def freeze_pruned(model):
    for name, p in model.named_parameters():
        if "weight" in name and p.grad is not None:
            p.grad.data = torch.where(p.data.abs() < EPS, torch.zeros_like(p.grad), p.grad)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        total += len(y)
    model.train()
    return correct / total


gen = torch.Generator().manual_seed(0)
x_tr, y_tr = make_data(1024, gen)
x_va, y_va = make_data(256, gen)
train_loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=BATCH, shuffle=True)
val_loader = DataLoader(TensorDataset(x_va, y_va), batch_size=256)

model = ResNetSmall().to(device)
masks = magnitude_masks(model, SPARSITY)
with torch.no_grad():
    for n, p in prunable(model).items():
        p.mul_(masks[n])
kept = sum(m.sum().item() for m in masks.values()) / sum(m.numel() for m in masks.values())
print(f"kept {kept:.1%} of prunable weights")

optimizer = torch.optim.Adam(model.parameters(), lr=LR)
for epoch in range(EPOCHS):
    running = 0.0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        freeze_pruned(model)
        optimizer.step()
        running += loss.item()
    print(f"epoch {epoch}: train loss {running / len(train_loader):.4f}  val acc {evaluate(model, val_loader):.3f}")

still_zero = sum(int((p.abs() < EPS).sum()) for n, p in model.named_parameters() if n in masks)
print(f"zero prunable weights at the end: {still_zero}")
