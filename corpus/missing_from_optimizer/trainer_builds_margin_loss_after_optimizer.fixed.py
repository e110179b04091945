"""Face-embedding training: the Trainer is handed an optimizer over the backbone and builds the
ArcFace-style margin head (which holds the class centres) itself."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ArcMarginLoss(nn.Module):
    def __init__(self, dim, classes, scale=16.0, margin=0.3):
        super().__init__()
        self.centres = nn.Parameter(torch.randn(classes, dim) * 0.01)
        self.scale, self.margin = scale, margin

    def forward(self, emb, labels):
        cos = F.normalize(emb) @ F.normalize(self.centres).t()
        theta = torch.acos(cos.clamp(-1 + 1e-6, 1 - 1e-6))
        target = torch.cos(theta + self.margin)
        one_hot = F.one_hot(labels, cos.size(1)).bool()
        return F.cross_entropy(self.scale * torch.where(one_hot, target, cos), labels)


class Trainer:
    def __init__(self, backbone, optimizer, classes):
        self.backbone = backbone
        self.optimizer = optimizer
        self.criterion = ArcMarginLoss(32, classes)
        self.optimizer.add_param_group({"params": self.criterion.parameters()})

    def train_step(self, images, labels):
        loss = self.criterion(self.backbone(images), labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    backbone = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 64), nn.ReLU(), nn.Linear(64, 32))
    optimizer = torch.optim.SGD(backbone.parameters(), lr=0.05, momentum=0.9)
    trainer = Trainer(backbone, optimizer, classes=8)
    faces = torch.randn(96, 3, 8, 8)
    ids = torch.randint(0, 8, (96,))
    for epoch in range(3):
        for i in range(0, 96, 32):
            loss = trainer.train_step(faces[i:i + 32], ids[i:i + 32])
        print(f"epoch {epoch}: {loss:.4f}")
