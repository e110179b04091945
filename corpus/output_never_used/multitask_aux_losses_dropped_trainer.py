"""Semantic segmentation with an auxiliary depth head (a multi-task recipe). A helper runs the
model and returns the segmentation logits with a dict of auxiliary losses; the Trainer's step
unpacks it, keeps the logits and builds its loss from the segmentation alone."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SegNet(nn.Module):
    def __init__(self, classes=3, width=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
        )
        self.seg_head = nn.Conv2d(width, classes, 1)
        self.depth_head = nn.Sequential(nn.Conv2d(width, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))

    def forward(self, image):
        feats = self.encoder(image)
        return feats, self.seg_head(feats)


def forward_with_aux(model, batch, depth_weight=0.5):
    feats, logits = model(batch["image"])
    depth = model.depth_head(feats)
    aux = {"loss_depth": depth_weight * F.l1_loss(depth, batch["depth"])}
    return logits, aux


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, batch):
        self.model.train()
        logits, _ = forward_with_aux(self.model, batch)
        loss = self.criterion(logits, batch["mask"])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
trainer = Trainer(SegNet())
data = [
    {"image": torch.randn(4, 3, 16, 16), "mask": torch.randint(0, 3, (4, 16, 16)), "depth": torch.rand(4, 1, 16, 16)}
    for _ in range(3)
]
for epoch in range(2):
    losses = [trainer.train_step(batch) for batch in data]
    print(f"epoch {epoch}: {sum(losses) / len(losses):.4f}")
