# FixMatch-style semi-supervised training: pseudo-labels from a weak view supervise a strong view.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, n_in=20, n_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        feats = self.backbone(x)
        return self.head(feats.detach())


def weak(x):
    return x + 0.05 * torch.randn_like(x)


def strong(x):
    keep = (torch.rand_like(x) > 0.3).float()
    return x * keep + 0.3 * torch.randn_like(x)


torch.manual_seed(0)
x_lab, y_lab = torch.randn(64, 20), torch.randint(0, 4, (64,))
x_unlab = torch.randn(2048, 20)

model = Classifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, nesterov=True)
threshold, lambda_u = 0.8, 1.0

for step, xu in enumerate(x_unlab.split(128)):
    logits_weak = model(weak(xu))
    probs = logits_weak.detach().softmax(dim=-1)
    confidence, pseudo = probs.max(dim=-1)
    mask = (confidence >= threshold).float()

    sup = F.cross_entropy(model(weak(x_lab)), y_lab)
    unsup = (F.cross_entropy(model(strong(xu)), pseudo, reduction="none") * mask).mean()
    loss = sup + lambda_u * unsup

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: sup {sup.item():.3f} unsup {unsup.item():.3f} mask {mask.mean().item():.2f}")
