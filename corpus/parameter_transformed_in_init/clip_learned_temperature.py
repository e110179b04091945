# Image-text contrastive pre-training (CLIP style) on random features: two projection heads and a
# learned temperature that scales the cosine similarities.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DualEncoder(nn.Module):
    def __init__(self, image_dim=64, text_dim=48, embed_dim=32):
        super().__init__()
        self.image_proj = nn.Sequential(nn.Linear(image_dim, 64), nn.GELU(), nn.Linear(64, embed_dim))
        self.text_proj = nn.Sequential(nn.Linear(text_dim, 64), nn.GELU(), nn.Linear(64, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07)).exp()

    def forward(self, images, texts):
        image_embeds = F.normalize(self.image_proj(images), dim=-1)
        text_embeds = F.normalize(self.text_proj(texts), dim=-1)
        logits = self.logit_scale.clamp(max=100) * image_embeds @ text_embeds.t()
        return logits


def batches(n_batches, batch_size=32):
    mix = torch.randn(64, 48)
    for _ in range(n_batches):
        images = torch.randn(batch_size, 64)
        texts = images @ mix + 0.1 * torch.randn(batch_size, 48)
        yield images, texts


model = DualEncoder()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
for epoch in range(3):
    for images, texts in batches(20):
        logits = model(images, texts)
        labels = torch.arange(len(images))
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
