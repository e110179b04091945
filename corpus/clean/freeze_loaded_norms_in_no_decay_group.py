"""Detection-style fine-tuning: a loaded backbone whose batch-norm layers are frozen (their affine
parameters and statistics stay as trained), and parameter groups split by weight decay. The
no-decay group happens to hold only the frozen norm parameters. Correct: the group was made by a
rule over names, not for the norms; the convolutions and the head train."""
import io

import torch
import torch.nn as nn


def backbone():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


torch.manual_seed(0)
pretrained = backbone()
for m in pretrained.modules():
    if isinstance(m, nn.BatchNorm2d):
        nn.init.uniform_(m.weight, 0.5, 1.5)
        nn.init.normal_(m.bias, 0.0, 0.1)
checkpoint = io.BytesIO()
torch.save(pretrained.state_dict(), checkpoint)
checkpoint.seek(0)

model = nn.Sequential(backbone(), nn.Linear(32, 4, bias=False))
model[0].load_state_dict(torch.load(checkpoint))
for m in model.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.eval()
        m.weight.requires_grad = False
        m.bias.requires_grad = False

decay = [p for n, p in model.named_parameters() if p.ndim > 1]
no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
optimizer = torch.optim.SGD(
    [{"params": decay, "weight_decay": 1e-4}, {"params": no_decay, "weight_decay": 0.0}], lr=0.01, momentum=0.9,
)
images, labels = torch.randn(32, 3, 16, 16), torch.randint(0, 4, (32,))
for step in range(8):
    loss = nn.functional.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
