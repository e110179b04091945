# CLIP-style contrastive training with a learnable temperature in its own group (no weight decay).
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DualEncoder(nn.Module):
    def __init__(self, img_dim=24, txt_dim=18, dim=16):
        super().__init__()
        self.image_proj = nn.Sequential(nn.Linear(img_dim, 32), nn.ReLU(), nn.Linear(32, dim))
        self.text_proj = nn.Sequential(nn.Linear(txt_dim, 32), nn.ReLU(), nn.Linear(32, dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, images, texts):
        i = F.normalize(self.image_proj(images), dim=-1)
        t = F.normalize(self.text_proj(texts), dim=-1)
        return self.logit_scale.exp() * i @ t.t()


def clip_loss(logits):
    targets = torch.arange(logits.size(0))
    return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.t(), targets)) / 2


def main():
    torch.manual_seed(0)
    model = DualEncoder()
    decay = [p for n, p in model.named_parameters() if n != "logit_scale"]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": [model.logit_scale], "weight_decay": 0.0}], lr=1e-3,
    )
    images, texts = torch.randn(64, 24), torch.randn(64, 18)
    for epoch in range(4):
        for i in range(0, 64, 16):
            loss = clip_loss(model(images[i:i + 16], texts[i:i + 16]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(epoch, loss.item(), model.logit_scale.exp().item())


if __name__ == "__main__":
    main()
