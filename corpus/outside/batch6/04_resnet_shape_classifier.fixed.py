import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class MemoryEfficientResNet(nn.Module):
    """Small ResNet whose stages are re-computed in backward to save activation memory."""

    def __init__(self, num_classes=4, use_checkpoint=True):
        super().__init__()
        self.use_checkpoint = use_checkpoint
        self.stages = nn.ModuleList([
            nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                          BasicBlock(16, 16)),
            nn.Sequential(BasicBlock(16, 32, stride=2), BasicBlock(32, 32)),
            nn.Sequential(BasicBlock(32, 64, stride=2)),
        ])
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        for stage in self.stages:
            if self.use_checkpoint and self.training:
                x = checkpoint(stage, x, use_reentrant=False)
            else:
                x = stage(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def make_batch(n):
    """Images containing a horizontal bar, vertical bar, cross or blob."""
    y = torch.randint(0, 4, (n,))
    x = 0.3 * torch.randn(n, 1, 16, 16)
    for i, c in enumerate(y.tolist()):
        r, s = torch.randint(3, 13, (2,)).tolist()
        if c in (0, 2):
            x[i, 0, r, 2:14] += 2.0
        if c in (1, 2):
            x[i, 0, 2:14, s] += 2.0
        if c == 3:
            x[i, 0, r - 2:r + 2, s - 2:s + 2] += 2.0
    return x, y


model = MemoryEfficientResNet().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)
x_val, y_val = make_batch(256)

for step in range(30):
    model.train()
    x, y = make_batch(24)
    loss = F.cross_entropy(model(x.to(device)), y.to(device))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 10 == 9:
        model.eval()
        with torch.no_grad():
            acc = (model(x_val.to(device)).argmax(1).cpu() == y_val).float().mean().item()
        print(f"step {step + 1} loss {loss.item():.3f} val-acc {acc:.3f}")
