"""Face-embedding training with softmax + center loss (Wen et al., 2016). The model keeps a
learnable center per identity and returns the logits with the center-loss term; the step
function binds that term as `center_term`, then returns the cross-entropy alone to the loop."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CenterLoss(nn.Module):
    def __init__(self, num_classes, dim, weight=0.01):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, dim))
        self.weight = weight

    def forward(self, feats, labels):
        return self.weight * (feats - self.centers[labels]).pow(2).sum(dim=1).mean()


class EmbeddingNet(nn.Module):
    def __init__(self, in_dim=64, dim=16, num_classes=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 64), nn.PReLU(), nn.Linear(64, dim))
        self.classifier = nn.Linear(dim, num_classes)
        self.center_loss = CenterLoss(num_classes, dim)

    def forward(self, x, labels):
        feats = self.body(x)
        return self.classifier(feats), self.center_loss(feats, labels)


def training_step(model, batch):
    x, y = batch
    logits, center_term = model(x, y)
    ce = F.cross_entropy(logits, y)
    accuracy = (logits.argmax(1) == y).float().mean()
    return accuracy, ce


torch.manual_seed(0)
model = EmbeddingNet()
optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
xs, ys = torch.randn(64, 64), torch.randint(0, 8, (64,))
for epoch in range(3):
    for start in range(0, 64, 16):
        acc, loss = training_step(model, (xs[start : start + 16], ys[start : start + 16]))
        optim.zero_grad()
        loss.backward()
        optim.step()
    print(epoch, f"loss={loss.item():.3f} acc={acc.item():.2f}")
