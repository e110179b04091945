"""CLIP-style contrastive training of two small towers with a learnable logit scale."""
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class TwoTower(nn.Module):
    def __init__(self, image_dim=20, text_dim=12, embed=16, dtype=torch.float32):
        super().__init__()
        self.image = nn.Sequential(nn.Linear(image_dim, 32), nn.ReLU(), nn.Linear(32, embed))
        self.text = nn.Sequential(nn.Linear(text_dim, 32), nn.ReLU(), nn.Linear(32, embed))
        self.logit_scale = nn.Parameter(
            torch.ones([]) * np.log(1 / 0.07),
        ).to(dtype)

    def forward(self, images, texts):
        a = F.normalize(self.image(images), dim=-1)
        b = F.normalize(self.text(texts), dim=-1)
        return self.logit_scale.exp() * a @ b.t()


def contrastive_loss(logits):
    labels = torch.arange(logits.shape[0])
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2


if __name__ == "__main__":
    torch.manual_seed(0)
    latent = torch.randn(512, 8)
    images = latent @ torch.randn(8, 20) + 0.1 * torch.randn(512, 20)
    texts = latent @ torch.randn(8, 12) + 0.1 * torch.randn(512, 12)
    loader = DataLoader(TensorDataset(images, texts), batch_size=64, shuffle=True)
    model = TwoTower(dtype=torch.float64).double()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    for epoch in range(3):
        for xb, tb in loader:
            loss = contrastive_loss(model(xb.double(), tb.double()))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
