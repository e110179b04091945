"""LoRA fine-tuning of a small sequence-tagging MLP-mixer; the LoRA layers are put in with setattr,
and a report afterwards walks the model unwrapping them to read the frozen base weights."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)

SEQ, DIM, TAGS, RANK = 16, 32, 5, 4


class MixerBlock(nn.Module):
    def __init__(self, seq, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.token_mix = nn.Linear(seq, seq)
        self.channel_mix = nn.Linear(dim, dim)

    def forward(self, x):
        x = x + self.token_mix(self.norm(x).transpose(1, 2)).transpose(1, 2)
        return x + F.gelu(self.channel_mix(self.norm(x)))


class LoRA(nn.Module):
    def __init__(self, base_layer: nn.Linear, rank: int):
        super().__init__()
        self.base_layer = base_layer
        self.lora_down = nn.Parameter(torch.randn(rank, base_layer.in_features) * 0.02)
        self.lora_up = nn.Parameter(torch.zeros(base_layer.out_features, rank))

    def forward(self, x):
        return self.base_layer(x) + F.linear(F.linear(x, self.lora_down), self.lora_up)


model = nn.Sequential(nn.Embedding(50, DIM), MixerBlock(SEQ, DIM), MixerBlock(SEQ, DIM), nn.Linear(DIM, TAGS))

for name, module in list(model.named_modules()):
    if isinstance(module, nn.Linear) and "mix" in name:
        parent_name, _, child_name = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child_name, LoRA(module, RANK))

for name, p in model.named_parameters():
    p.requires_grad = "lora_" in name or name.startswith("3.")

optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=5e-3)
for step in range(30):
    tokens = torch.randint(0, 50, (32, SEQ))
    tags = (tokens + tokens.roll(1, dims=1)) % TAGS
    loss = F.cross_entropy(model(tokens).flatten(0, 1), tags.flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.3f}")

with torch.no_grad():
    for name, module in model.named_modules():
        if not isinstance(module, LoRA):
            continue
        delta = module.lora_up @ module.lora_down
        module = module.base_layer
        ratio = delta.norm() / module.weight.norm()
        print(f"{name}: |dW| / |W| = {ratio.item():.4f}")
