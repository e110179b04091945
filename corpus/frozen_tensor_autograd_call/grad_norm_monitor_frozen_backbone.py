"""Fine-tune a small image classifier whose pretrained feature extractor is frozen, logging the
gradient norm of every parameter through tensor hooks (as a dashboard callback would)."""
from collections import defaultdict

import torch
from torch import nn, optim

torch.manual_seed(1)


def make_backbone():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class GradNormLogger:
    def __init__(self):
        self.norms = defaultdict(list)

    def attach(self, model):
        for name, param in model.named_parameters():
            param.register_hook(lambda grad, name=name: self.norms[name].append(grad.norm().item()))

    def summary(self):
        return {name: sum(values) / len(values) for name, values in self.norms.items()}


backbone = make_backbone()
backbone.requires_grad_(False)  # pretrained: only the classifier is fine-tuned
classifier = nn.Linear(32, 5)
model = nn.Sequential(backbone, classifier)

logger = GradNormLogger()
logger.attach(model)
opt = optim.SGD(classifier.parameters(), lr=0.1, momentum=0.9)

images = torch.randn(48, 3, 16, 16)
targets = torch.randint(0, 5, (48,))
for step in range(6):
    batch = slice((step % 3) * 16, (step % 3 + 1) * 16)
    loss = nn.functional.cross_entropy(model(images[batch]), targets[batch])
    opt.zero_grad()
    loss.backward()
    opt.step()
print({name: round(value, 4) for name, value in logger.summary().items()})
