import torch
import torch.nn as nn
import torch.nn.functional as F

BITS = 16


class HashNet(nn.Module):
    """Image features to binary codes whose inner products match the label similarity."""

    def __init__(self, in_dim=64):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, 48), nn.ReLU())
        self.hash_layer = nn.Linear(48, BITS)

    def forward(self, features):
        h = self.hash_layer(self.backbone(features))
        return h + (torch.sign(h) - h).detach()


def similarity_loss(codes, labels):
    same = (labels[:, None] == labels[None, :]).float() * 2 - 1
    return F.mse_loss(codes @ codes.t() / BITS, same)


torch.manual_seed(0)
centers = torch.randn(5, 64)
labels = torch.randint(0, 5, (400,))
features = centers[labels] + 0.3 * torch.randn(400, 64)

model = HashNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    for idx in torch.randperm(400).split(50):
        loss = similarity_loss(model(features[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
