import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)

backbone = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
classifier = nn.Linear(32, 4)

backbone_opt = torch.optim.SGD(backbone.parameters(), lr=0.05, momentum=0.9)
head_opt = torch.optim.Adam(classifier.parameters(), lr=1e-3)


def train_step(x, y):
    backbone.zero_grad()
    logits = classifier(backbone(x))
    loss = F.cross_entropy(logits, y)
    loss.backward()
    backbone_opt.step()
    head_opt.step()
    return loss.item()


features = torch.randn(192, 16)
targets = torch.randint(0, 4, (192,))
for epoch in range(3):
    for start in range(0, 192, 24):
        loss = train_step(features[start : start + 24], targets[start : start + 24])
    print(f"epoch {epoch}: {loss:.4f}")
