# Report: https://github.com/Baijiong-Lin/LoRA-Torch/issues/9
# A user swaps every nn.MultiheadAttention of a ViT for a LoRA MultiheadAttention inside a
# named_modules() loop; no error is raised, but the model still holds the old attention layers.
"""LoRA fine-tuning of a small ViT-style encoder on synthetic patch sequences."""

import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SEED = 0
N_PATCHES, PATCH_DIM, WIDTH, HEADS, DEPTH, N_CLASSES = 16, 24, 48, 4, 2, 4
LORA_R, LORA_ALPHA = 4, 8
EPOCHS, BATCH, LR = 4, 64, 3e-3

random.seed(SEED)
torch.manual_seed(SEED)


class PatchSequences(Dataset):
    """Random 'image patches'; the class depends on a few fixed patch directions."""

    def __init__(self, n, generator):
        self.x = torch.randn(n, N_PATCHES, PATCH_DIM, generator=generator)
        proj = torch.randn(PATCH_DIM, N_CLASSES, generator=torch.Generator().manual_seed(123))
        scores = self.x[:, :4].mean(1) @ proj
        self.y = scores.argmax(-1)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class VisualEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Linear(PATCH_DIM, WIDTH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.pos_embed = nn.Parameter(torch.randn(1, N_PATCHES + 1, WIDTH) * 0.02)
        self.blocks = nn.ModuleList([Block(WIDTH, HEADS) for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(WIDTH)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x[:, 0])


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = VisualEncoder()
        self.head = nn.Linear(WIDTH, N_CLASSES)

    def forward(self, x):
        return self.head(self.visual(x))


class LoRAMultiheadAttention(nn.MultiheadAttention):
    """MultiheadAttention whose packed q/k/v projection gets a low-rank update."""

    def __init__(self, embed_dim, num_heads, r=4, lora_alpha=8, **kw):
        super().__init__(embed_dim, num_heads, **kw)
        self.scaling = lora_alpha / r
        self.lora_A = nn.Parameter(torch.zeros(r, embed_dim))
        self.lora_B = nn.Parameter(torch.zeros(3 * embed_dim, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, query, key, value, need_weights=False, **kw):
        w = self.in_proj_weight + (self.lora_B @ self.lora_A) * self.scaling
        q, k, v = (t.transpose(0, 1) for t in (query, key, value))
        out, attn = F.multi_head_attention_forward(
            q, k, v, self.embed_dim, self.num_heads, w, self.in_proj_bias,
            None, None, False, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, need_weights=need_weights)
        return out.transpose(0, 1), attn


def add_lora(model, r, alpha):
    for name, module in model.visual.named_modules():
        if isinstance(module, nn.MultiheadAttention):
            lora_mha = LoRAMultiheadAttention(module.embed_dim, module.num_heads, r=r,
                                              lora_alpha=alpha, batch_first=True)
            lora_mha.load_state_dict(module.state_dict(), strict=False)
            module = lora_mha
    return model


def mark_only_lora_as_trainable(model):
    for n, p in model.named_parameters():
        p.requires_grad = "lora_" in n


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(-1) == y).sum().item()
        total += len(y)
    return correct / total


g = torch.Generator().manual_seed(SEED)
train_loader = DataLoader(PatchSequences(1024, g), batch_size=BATCH, shuffle=True)
val_loader = DataLoader(PatchSequences(256, g), batch_size=256)

model = Classifier()  # stands in for the pretrained checkpoint
model = add_lora(model, LORA_R, LORA_ALPHA)
mark_only_lora_as_trainable(model)
for p in model.head.parameters():
    p.requires_grad = True

params = [p for p in model.parameters() if p.requires_grad]
print(f"trainable parameters: {sum(p.numel() for p in params)}")
optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * len(train_loader))

for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for x, y in train_loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item() * len(y)
    print(f"epoch {epoch}: train loss {running / len(train_loader.dataset):.4f} "
          f"val acc {evaluate(model, val_loader):.3f}")
