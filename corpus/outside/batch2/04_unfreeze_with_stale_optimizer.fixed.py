# Report: https://github.com/facebookresearch/detectron2/issues/2486
# What goes wrong: the optimizer is built from the parameters that require grad while the
# backbone is frozen; after the backbone is unfrozen mid-training the optimizer is not rebuilt,
# so the backbone gets gradients but is never updated.
# Repaired version: add the unfrozen backbone parameters to the optimizer (add_param_group) when unfreezing.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Detector(nn.Module):
    def __init__(self, in_ch=3, n_classes=5):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(in_ch, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.box_head = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x):
        return self.box_head(self.backbone(x))

    def freeze_backbone(self):
        for p in self.backbone.parameters():
            p.requires_grad = False

    def unfreeze_backbone(self):
        for p in self.backbone.parameters():
            p.requires_grad = True
        print("Unfreeze backbone parameters")


def build_optimizer(model, lr=1e-3):
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=lr)


def train(model, loader, total_iters=60, unfreeze_at=20):
    model.freeze_backbone()
    optimizer = build_optimizer(model)
    criterion = nn.CrossEntropyLoss()
    it = 0
    while it < total_iters:
        for images, labels in loader:
            if it == unfreeze_at:
                model.unfreeze_backbone()
                optimizer.add_param_group({"params": list(model.backbone.parameters())})
            loss = criterion(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if it % 10 == 0:
                print(f"iter {it:3d}  loss {loss.item():.4f}")
            it += 1
            if it >= total_iters:
                break


if __name__ == "__main__":
    torch.manual_seed(0)
    images = torch.randn(256, 3, 16, 16)
    labels = torch.randint(0, 5, (256,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)
    train(Detector(), loader)
