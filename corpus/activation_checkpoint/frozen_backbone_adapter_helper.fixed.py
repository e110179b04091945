"""Few-shot image classifier: a frozen, pretrained feature extractor and trainable adapter blocks
on its feature map. A helper checkpoints every adapter block."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils import checkpoint as activation_ckpt

torch.manual_seed(0)


def recompute(block, *inputs):
    """Run a block without keeping its activations; they are recomputed in backward."""
    return activation_ckpt.checkpoint(block, *inputs, use_reentrant=False)


class Adapter(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x):
        return x + F.gelu(self.norm(self.conv(x)))


backbone = nn.Sequential(nn.Conv2d(3, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(24, 24, 3, padding=1), nn.ReLU())
backbone.load_state_dict({k: v + 0.01 for k, v in backbone.state_dict().items()})  # stands for the pretrained weights
backbone.requires_grad_(False)
backbone.eval()

adapters = nn.Sequential(Adapter(24), Adapter(24))
classifier = nn.Linear(24, 5)
optimizer = torch.optim.Adam(list(adapters.parameters()) + list(classifier.parameters()), lr=1e-3)


def episode(n=20):
    labels = torch.randint(0, 5, (n,))
    images = torch.randn(n, 3, 16, 16) * 0.5
    images[torch.arange(n), labels % 3] += labels.view(-1, 1, 1).float() * 0.4
    return images, labels


for step in range(60):
    images, labels = episode()
    with torch.no_grad():
        features = backbone(images)
    h = features
    for block in adapters:
        h = recompute(block, h)
    logits = classifier(h.mean(dim=(2, 3)))
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(step, loss.item())
