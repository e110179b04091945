import itertools
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
N_CLASSES = 3


def conv_bn(c_in, c_out, stride=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class Backbone(nn.Module):
    """A tiny classification-style CNN; we only want its intermediate feature maps."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16)
        self.layer1 = conv_bn(16, 16)
        self.layer2 = conv_bn(16, 32, stride=2)
        self.layer3 = conv_bn(32, 64, stride=2)

    def forward(self, x):
        return self.layer3(self.layer2(self.layer1(self.stem(x))))


class FeatureExtractor:
    """Grabs intermediate activations of `model` with forward hooks."""

    def __init__(self, model, layer_names):
        self.model, self.layer_names, self.features = model, layer_names, {}
        self.handles = [getattr(model, n).register_forward_hook(self._save(n)) for n in layer_names]

    def _save(self, name):
        def hook(module, inputs, output):
            self.features[name] = output.detach()
        return hook

    def __call__(self, x):
        self.features.clear()
        self.model(x)
        return [self.features[n] for n in self.layer_names]


class FPNSegHead(nn.Module):
    def __init__(self, in_channels=(16, 32, 64), width=32, n_classes=N_CLASSES):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, width, 1) for c in in_channels])
        self.smooth = nn.Conv2d(width, width, 3, padding=1)
        self.classifier = nn.Conv2d(width, n_classes, 1)

    def forward(self, feats, out_size):
        x = self.lateral[-1](feats[-1])
        for lat, f in zip(reversed(self.lateral[:-1]), reversed(feats[:-1])):
            x = F.interpolate(x, size=f.shape[-2:], mode="nearest") + lat(f)
        x = self.classifier(F.relu(self.smooth(x)))
        return F.interpolate(x, size=out_size, mode="bilinear", align_corners=False)


def make_batch(n, size=32):
    """Background + randomly placed squares (class 1) and discs (class 2)."""
    img = 0.2 * torch.randn(n, 3, size, size)
    mask = torch.zeros(n, size, size, dtype=torch.long)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    for i in range(n):
        r, c = torch.randint(4, size - 12, (2,)).tolist()
        mask[i, r:r + 8, c:c + 8] = 1
        cy, cx = torch.randint(6, size - 6, (2,)).tolist()
        mask[i][(yy - cy) ** 2 + (xx - cx) ** 2 < 20] = 2
    img[:, 0] += (mask == 1).float()
    img[:, 1] += (mask == 2).float()
    return img, mask


backbone = Backbone().to(device)
extractor = FeatureExtractor(backbone, ["layer1", "layer2", "layer3"])
head = FPNSegHead().to(device)
optimizer = torch.optim.Adam(itertools.chain(backbone.parameters(), head.parameters()), lr=3e-3)

for step in range(24):
    img, mask = make_batch(12)
    img, mask = img.to(device), mask.to(device)
    logits = head(extractor(img), img.shape[-2:])
    loss = F.cross_entropy(logits, mask)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 8 == 7:
        with torch.no_grad():
            iou = ((logits.argmax(1) == 1) & (mask == 1)).sum() / ((logits.argmax(1) == 1) | (mask == 1)).sum()
        print(f"step {step + 1} loss {loss.item():.3f} IoU(square) {iou.item():.3f}")
