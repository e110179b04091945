# Image classifier with a pretrained, frozen stem (loaded from a checkpointed copy) and a linear
# warm-up per parameter group: each group's peak factor comes from a list, one lambda per factor.
import copy

import torch
from torch import nn, optim


def make_stem():
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))


class Net(nn.Module):
    def __init__(self, stem):
        super().__init__()
        self.stem = stem
        self.body = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(16, 4)

    def forward(self, x):
        return self.classifier(self.body(self.stem(x)))


def warmup_schedule(optimizer, factors, warmup_steps=5):
    return optim.lr_scheduler.LambdaLR(
        optimizer, [lambda step, factor=factor: factor * min(1.0, (step + 1) / warmup_steps) for factor in factors],
    )


torch.manual_seed(0)
pretrained = make_stem()
stem = make_stem()
stem.load_state_dict(copy.deepcopy(pretrained.state_dict()))
stem.requires_grad_(False)  # kept frozen on purpose: its group waits for stage two at a factor of 0
net = Net(stem)
optimizer = optim.AdamW(
    [{"params": net.classifier.parameters()}, {"params": net.body.parameters()}, {"params": net.stem.parameters()}],
    lr=2e-3,
)
scheduler = warmup_schedule(optimizer, [1.0, 0.5, 0.0])
images, labels = torch.randn(128, 1, 16, 16), torch.randint(0, 4, (128,))
for step in range(40):
    batch = torch.randint(0, 128, (32,))
    loss = nn.functional.cross_entropy(net(images[batch]), labels[batch])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
print(loss.item())
