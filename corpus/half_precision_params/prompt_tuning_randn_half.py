"""Prompt tuning: a frozen (pretend-pretrained) token encoder, and a few learned prompt vectors
prepended to every sequence. Only the prompts and the classifier are trained."""
import torch
import torch.nn as nn

torch.manual_seed(0)
D_MODEL, N_PROMPTS = 32, 4


class PromptedEncoder(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.prompts = nn.Parameter(torch.randn(N_PROMPTS, D_MODEL, dtype=torch.float16) * 0.02)
        self.classifier = nn.Linear(D_MODEL, 2)

    def forward(self, tokens):
        prompts = self.prompts.unsqueeze(0).expand(tokens.size(0), -1, -1)
        hidden = self.backbone(torch.cat([prompts.to(tokens.dtype), tokens], dim=1))
        return self.classifier(hidden.mean(dim=1))


backbone = nn.Sequential(nn.Linear(D_MODEL, 64), nn.GELU(), nn.Linear(64, D_MODEL), nn.LayerNorm(D_MODEL))
for p in backbone.parameters():
    p.requires_grad_(False)
model = PromptedEncoder(backbone)
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=3e-3)
scaler = torch.amp.GradScaler("cpu")

tokens = torch.randn(48, 10, D_MODEL)
labels = (tokens.mean(dim=(1, 2)) > 0).long()
for step in range(8):
    optimizer.zero_grad()
    with torch.autocast("cpu", dtype=torch.float16):
        loss = nn.functional.cross_entropy(model(tokens), labels)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(step, round(loss.item(), 4))
