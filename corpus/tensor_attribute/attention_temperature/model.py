import torch
from torch import nn


class AttentionPool(nn.Module):
    """Pools a set of vectors with dot-product attention and a learned temperature."""

    def __init__(self, dim, classes):
        super().__init__()
        self.query = nn.Linear(dim, 1, bias=False)
        self.temperature = torch.tensor(1.0, requires_grad=True)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, x):
        scores = self.query(x).squeeze(-1) / self.temperature
        attn = torch.softmax(scores, dim=1)
        pooled = (attn.unsqueeze(-1) * x).sum(dim=1)
        return self.classifier(pooled)
