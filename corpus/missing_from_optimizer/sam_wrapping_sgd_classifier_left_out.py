"""Image-like classification with Sharpness-Aware Minimization (SAM): a backbone and a separate
classifier head; SAM wraps SGD and takes two steps per batch."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SAM(torch.optim.Optimizer):
    def __init__(self, params, base_optimizer, rho=0.05, **kwargs):
        defaults = dict(rho=rho, **kwargs)
        super().__init__(params, defaults)
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups

    @torch.no_grad()
    def first_step(self, zero_grad=False):
        grad_norm = torch.norm(torch.stack([p.grad.norm(p=2) for g in self.param_groups for p in g["params"] if p.grad is not None]), p=2)
        for group in self.param_groups:
            scale = group["rho"] / (grad_norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                e_w = p.grad * scale
                p.add_(e_w)
                self.state[p]["e_w"] = e_w
        if zero_grad:
            self.zero_grad()

    @torch.no_grad()
    def second_step(self, zero_grad=False):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or "e_w" not in self.state[p]:
                    continue
                p.sub_(self.state[p]["e_w"])
        self.base_optimizer.step()
        if zero_grad:
            self.zero_grad()


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return x.flatten(1)


torch.manual_seed(0)
images = torch.randn(128, 1, 16, 16)
labels = (images.mean(dim=(1, 2, 3)) > 0).long()
backbone = Backbone()
classifier = nn.Linear(16 * 4 * 4, 2)
optimizer = SAM(backbone.parameters(), torch.optim.SGD, rho=0.05, lr=0.05, momentum=0.9)

for epoch in range(3):
    for i in range(0, 128, 16):
        xb, yb = images[i:i + 16], labels[i:i + 16]
        F.cross_entropy(classifier(backbone(xb)), yb).backward()
        optimizer.first_step(zero_grad=True)
        F.cross_entropy(classifier(backbone(xb)), yb).backward()
        optimizer.second_step(zero_grad=True)
    print("epoch", epoch)
