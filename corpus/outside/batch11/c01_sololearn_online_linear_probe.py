"""SimCLR pre-training with an online linear classifier (solo-learn BaseMethod layout).
The classifier is trained on feats.detach(), the backbone/projector by the SSL loss only."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class SimCLR(nn.Module):
    def __init__(self, feat_dim=32, proj_dim=16, num_classes=4, temperature=0.2):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
                                      nn.Conv2d(16, feat_dim, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.projector = nn.Sequential(nn.Linear(feat_dim, feat_dim), nn.ReLU(), nn.Linear(feat_dim, proj_dim))
        self.classifier = nn.Linear(feat_dim, num_classes)
        self.temperature = temperature

    def base_forward(self, X):
        feats = self.backbone(X)
        logits = self.classifier(feats.detach())
        return {"logits": logits, "feats": feats}

    def training_step(self, X1, X2, targets):
        out1, out2 = self.base_forward(X1), self.base_forward(X2)
        z = F.normalize(torch.cat([self.projector(out1["feats"]), self.projector(out2["feats"])]), dim=-1)
        sim = z @ z.t() / self.temperature
        sim.fill_diagonal_(-1e9)
        n = X1.size(0)
        pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
        nce = F.cross_entropy(sim, pos)
        class_loss = (F.cross_entropy(out1["logits"], targets) + F.cross_entropy(out2["logits"], targets)) / 2
        return nce + class_loss


torch.manual_seed(0)
model = SimCLR().to(device)
optimizer = torch.optim.SGD([{"params": list(model.backbone.parameters()) + list(model.projector.parameters())},
                             {"params": model.classifier.parameters(), "lr": 0.1, "weight_decay": 0}],
                            lr=0.05, momentum=0.9, weight_decay=1e-5)
images, labels = torch.rand(32, 3, 16, 16), torch.randint(0, 4, (32,))
for step in range(6):
    idx = torch.randint(0, 32, (16,))
    x = images[idx].to(device)
    x1, x2 = x + 0.05 * torch.randn_like(x), torch.flip(x, dims=[3])
    loss = model.training_step(x1, x2, labels[idx].to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.4f}")
