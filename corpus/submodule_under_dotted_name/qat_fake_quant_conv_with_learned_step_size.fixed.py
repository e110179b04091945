"""Quantisation-aware fine-tuning of a small image classifier with learned step sizes (LSQ): every
Conv2d is swapped for a fake-quantised conv that shares its weight and learns the scale of its
4-bit grid. The swap walks named_modules() and calls setattr(model, name, qconv): the stem's
name is plain, the feature convs' are paths ("features.0")."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def round_ste(x):
    return x + (x.round() - x).detach()


class FakeQuantConv2d(nn.Conv2d):
    def __init__(self, conv, bits=4):
        super().__init__(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                         bias=conv.bias is not None)
        self.weight, self.bias = conv.weight, conv.bias
        self.qmax = 2 ** (bits - 1) - 1
        self.scale = nn.Parameter(conv.weight.detach().abs().mean() * 2 / self.qmax ** 0.5)

    def forward(self, x):
        w = round_ste(torch.clamp(self.weight / self.scale, -self.qmax - 1, self.qmax)) * self.scale
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


def prepare_qat(model, bits=4):
    for name, module in list(model.named_modules()):
        if type(module) is nn.Conv2d:
            model.set_submodule(name, FakeQuantConv2d(module, bits))
    return model


class SmallCNN(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.features = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())
        self.fc = nn.Linear(16, n_classes)

    def forward(self, x):
        h = self.features(F.relu(self.stem(x)))
        return self.fc(h.mean((2, 3)))


model = prepare_qat(SmallCNN())
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
images = torch.randn(128, 1, 12, 12)
labels = (images[:, 0, :6].mean((1, 2)) > 0).long() * 2 + (images[:, 0, :, :6].mean((1, 2)) > 0).long()

for epoch in range(5):
    for i in range(0, 128, 32):
        loss = F.cross_entropy(model(images[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f} stem scale {model.stem.scale.item():.4f}")
