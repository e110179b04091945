# Correct: the backbone's weights are loaded, then every parameter whose name starts with
# "backbone" is frozen; the optimizer takes what still requires grad.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.box_head = nn.Conv2d(8, 4, 1)
        self.cls_head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        f = self.backbone(x)
        return self.box_head(f), self.cls_head(f)


torch.manual_seed(0)
model = Detector()
reference = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
model.backbone.load_state_dict(reference.state_dict())
for name, p in model.named_parameters():
    if name.startswith("backbone"):
        p.requires_grad = False
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
for step in range(20):
    images = torch.randn(4, 3, 16, 16)
    boxes, logits = model(images)
    loss = boxes.pow(2).mean() + F.cross_entropy(logits, (images[:, 0] > 0).long())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
