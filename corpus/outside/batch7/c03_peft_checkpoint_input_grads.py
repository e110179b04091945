"""LoRA fine-tuning of a frozen transformer encoder with reentrant gradient checkpointing.
Because the frozen embedding output does not require grad, a forward hook on the input
embeddings marks its output as requiring grad (transformers' enable_input_require_grads),
so the checkpointed blocks still back-propagate into their LoRA adapters."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
VOCAB, DIM, LAYERS, SEQ, CLASSES = 120, 48, 2, 12, 3


class LoRALinear(nn.Module):
    def __init__(self, base, r=4, alpha=8):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM)
        self.attn_proj = nn.Linear(DIM, DIM)
        self.norm2 = nn.LayerNorm(DIM)
        self.mlp = nn.Linear(DIM, DIM)

    def forward(self, x):
        h = self.norm1(x)
        att = torch.softmax(h @ h.transpose(1, 2) / math.sqrt(DIM), -1) @ self.attn_proj(h)
        x = x + att
        return x + F.gelu(self.mlp(self.norm2(x)))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.classifier = nn.Linear(DIM, CLASSES)

    def enable_input_require_grads(self):
        def make_inputs_require_grads(module, input, output):
            output.requires_grad_(True)
        self._require_grads_hook = self.embed.register_forward_hook(make_inputs_require_grads)

    def forward(self, ids):
        h = self.embed(ids)
        for blk in self.blocks:
            h = checkpoint(blk, h, use_reentrant=True) if self.training else blk(h)
        return self.classifier(h.mean(1))


model = Encoder().to(device)
for p in model.parameters():
    p.requires_grad_(False)
for blk in model.blocks:
    blk.attn_proj = LoRALinear(blk.attn_proj)
    blk.mlp = LoRALinear(blk.mlp)
model.classifier.requires_grad_(True)
model.enable_input_require_grads()

params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=5e-3, weight_decay=0.0)
for step in range(40):
    ids = torch.randint(0, VOCAB, (32, SEQ), device=device)
    labels = ids[:, 0] % CLASSES
    loss = F.cross_entropy(model(ids), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")
