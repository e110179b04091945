"""Small CNN on synthetic images: linear warm-up for the first steps, cosine decay after."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR

WARMUP_STEPS = 500
EPOCHS = 3


class SmallCNN(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))


torch.manual_seed(0)
images = torch.randn(40, 1, 16, 16)
targets = torch.randint(0, 4, (40,))
net = SmallCNN()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True)
warmup = LambdaLR(opt, lambda s: min(1.0, (s + 1) / WARMUP_STEPS))
cosine = CosineAnnealingLR(opt, T_max=EPOCHS * 5)

global_step = 0
for epoch in range(EPOCHS):
    for x, y in zip(images.split(8), targets.split(8)):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        if global_step < WARMUP_STEPS:
            warmup.step()
        else:
            opt.step()
            cosine.step()
        global_step += 1
    print(f"epoch {epoch} loss {loss.item():.3f} lr {opt.param_groups[0]['lr']:.5f}")
