"""Speaker identification: an x-vector style network trained on 12 synthetic speakers, then adapted
to 5 new speakers with LoRA on its segment-level layers (everything else frozen but the new head)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEVICE = torch.device("cpu")
FEATS, FRAMES = 20, 50
torch.manual_seed(9)


class XVector(nn.Module):
    def __init__(self, n_speakers):
        super().__init__()
        self.frame = nn.Sequential(
            nn.Conv1d(FEATS, 64, 5, dilation=1), nn.ReLU(), nn.BatchNorm1d(64),
            nn.Conv1d(64, 64, 3, dilation=2), nn.ReLU(), nn.BatchNorm1d(64),
        )
        self.segment6 = nn.Linear(128, 64)
        self.segment7 = nn.Linear(64, 64)
        self.classifier = nn.Linear(64, n_speakers)

    def forward(self, x):
        h = self.frame(x)
        stats = torch.cat([h.mean(-1), h.std(-1)], dim=-1)
        return self.classifier(F.relu(self.segment7(F.relu(self.segment6(stats)))))


class LoRALinear(nn.Module):
    def __init__(self, base, rank=4, alpha=8):
        super().__init__()
        self.base = base
        self.lora_a = nn.Linear(base.in_features, rank, bias=False)
        self.lora_b = nn.Linear(rank, base.out_features, bias=False)
        nn.init.zeros_(self.lora_b.weight)
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.scale * self.lora_b(self.lora_a(x))


def utterances(voices, n):
    who = torch.randint(0, len(voices), (n,))
    x = voices[who][:, :, None] * torch.rand(n, 1, FRAMES) + 0.7 * torch.randn(n, FEATS, FRAMES)
    return x.to(DEVICE), who.to(DEVICE)


def train(model, voices, params, steps, lr):
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        x, y = utterances(voices, 48)
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


old_voices, new_voices = torch.randn(12, FEATS), torch.randn(5, FEATS)
model = XVector(12).to(DEVICE)
print("pretrain loss", train(model, old_voices, model.parameters(), 25, 3e-3))

model.classifier = nn.Linear(64, 5).to(DEVICE)
for name, module in model.named_modules():
    if name.startswith("segment"):
        module = LoRALinear(module, rank=4, alpha=8)
        module = module.to(DEVICE)
for name, p in model.named_parameters():
    p.requires_grad = "lora_" in name or name.startswith("classifier")
model.frame.eval()  # keep the pretrained BatchNorm statistics

params = [p for p in model.parameters() if p.requires_grad]
print("adapt loss", train(model, new_voices, params, 25, 3e-3))
