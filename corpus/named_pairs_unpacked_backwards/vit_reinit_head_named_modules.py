"""Re-initialise the head of a tiny ViT before fine-tuning it on a new label set."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed(nn.Module):
    def __init__(self, patch=4, dim=48):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TinyViT(nn.Module):
    def __init__(self, dim=48, depth=2, num_classes=10):
        super().__init__()
        self.patch_embed = PatchEmbed(dim=dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True, norm_first=True) for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.size(0), -1, -1), x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))


def reset_head(model, std=0.02):
    for module, name in model.named_modules():
        if name.endswith("head") and isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=std)
            nn.init.zeros_(module.bias)


torch.manual_seed(3)
vit = TinyViT()
reset_head(vit, std=1 / math.sqrt(48))
opt = torch.optim.AdamW(vit.parameters(), lr=1e-3, weight_decay=0.05)
x = torch.randn(12, 3, 16, 16)
y = torch.randint(0, 10, (12,))
for it in range(8):
    logits = vit(x)
    loss = F.cross_entropy(logits, y, label_smoothing=0.1)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if it % 2 == 0:
        print(f"iter {it} loss {loss.item():.3f}")
