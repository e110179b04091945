# Two-level weighted feature fusion (BiFPN-style) on a small conv backbone, with YOLO-style
# optimizer groups. The loop takes the fusion weights too: every parameter is in a group.
import torch
import torch.nn as nn
import torch.nn.functional as F


class WeightedFusion(nn.Module):
    def __init__(self, ch, eps=1e-4):
        super().__init__()
        self.eps = eps
        self.w = nn.Parameter(torch.ones(2))
        self.conv = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.SiLU())

    def forward(self, fine, coarse):
        w = F.relu(self.w)
        w = w / (w.sum() + self.eps)
        return self.conv(w[0] * fine + w[1] * F.interpolate(coarse, scale_factor=2.0))


class Detector(nn.Module):
    def __init__(self, ch=16, n_out=5):
        super().__init__()
        self.c1 = nn.Sequential(nn.Conv2d(3, ch, 3, 2, 1), nn.BatchNorm2d(ch), nn.SiLU())
        self.c2 = nn.Sequential(nn.Conv2d(ch, ch, 3, 2, 1), nn.BatchNorm2d(ch), nn.SiLU())
        self.fuse = WeightedFusion(ch)
        self.pred = nn.Conv2d(ch, n_out, 1)

    def forward(self, x):
        p1 = self.c1(x)
        return self.pred(self.fuse(p1, self.c2(p1)))


torch.manual_seed(2)
model = Detector()
pg0, pg1, pg2 = [], [], []
for k, v in model.named_modules():
    if hasattr(v, "bias") and isinstance(v.bias, nn.Parameter):
        pg2.append(v.bias)
    if isinstance(v, nn.BatchNorm2d):
        pg0.append(v.weight)
    elif hasattr(v, "weight") and isinstance(v.weight, nn.Parameter):
        pg1.append(v.weight)
    if isinstance(v, WeightedFusion):
        pg0.append(v.w)  # fusion weights: no decay

optimizer = torch.optim.SGD(pg0, lr=0.01, momentum=0.9, nesterov=True)
optimizer.add_param_group({"params": pg1, "weight_decay": 5e-4})
optimizer.add_param_group({"params": pg2})

for step in range(20):
    imgs = torch.randn(8, 3, 32, 32)
    target = (torch.rand(8, 5, 16, 16) > 0.8).float()
    loss = F.binary_cross_entropy_with_logits(model(imgs), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
