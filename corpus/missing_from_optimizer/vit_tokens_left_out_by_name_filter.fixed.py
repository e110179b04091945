# A small vision transformer on 16x16 digit-like patches. The AdamW groups follow the usual
# recipe, sorted by parameter name: weight matrices decay, biases and norm weights do not.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        attn = torch.softmax(q @ k.transpose(1, 2) / q.shape[-1] ** 0.5, dim=-1)
        x = x + self.proj(attn @ v)
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, patch=4, dim=32, depth=2, n_classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        n_tokens = (16 // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n_tokens + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, 2 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, 0]))


torch.manual_seed(0)
images = torch.randn(256, 1, 16, 16)
labels = torch.randint(0, 10, (256,))
model = TinyViT()

decay, no_decay = [], []
for name, param in model.named_parameters():
    if name.endswith(".bias") or ".norm" in name:
        no_decay.append(param)
    elif name.endswith(".weight"):
        decay.append(param)
    else:
        no_decay.append(param)
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3
)

for epoch in range(3):
    for i in range(0, len(images), 64):
        loss = F.cross_entropy(model(images[i:i + 64]), labels[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
