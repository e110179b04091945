import torch
import torch.nn as nn
import torch.nn.functional as F


class ContrastiveNet(nn.Module):
    """A backbone pretrained with a projector for the contrastive loss; the projector is thrown
    away for the downstream task, which uses the backbone's features and a new head."""

    def __init__(self, n_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.projector = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16))
        self.head = nn.Linear(8, n_classes)

    def forward(self, images):
        return self.head(self.backbone(images))


def main():
    torch.manual_seed(0)
    pretrained = ContrastiveNet()  # stands in for the self-supervised checkpoint
    model = ContrastiveNet()
    model.load_state_dict(pretrained.state_dict())
    model.backbone.requires_grad_(False)
    model.projector.requires_grad_(False)

    images = torch.randn(32, 3, 12, 12)
    labels = torch.randint(0, 4, (32,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(4):
        if epoch == 2:
            model.requires_grad_(True)  # linear probe done: fine-tune the whole network
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
