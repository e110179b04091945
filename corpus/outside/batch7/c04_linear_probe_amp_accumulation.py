"""Linear probe on a frozen pretrained CNN backbone with mixed precision, gradient
accumulation (scaled loss divided by the number of accumulation steps), gradient clipping
after GradScaler.unscale_, and no-grad evaluation (PyTorch AMP examples recipe).
The backbone is frozen on purpose and kept in eval mode so its BatchNorm statistics do not move."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16
ACCUM_STEPS, CLASSES = 4, 5


class ProbeModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(32, CLASSES)

    def forward(self, x):
        with torch.no_grad():
            feats = self.backbone(x)
        return self.head(feats)

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()
        return self


def make_batch(n=16):
    y = torch.randint(0, CLASSES, (n,))
    x = torch.randn(n, 3, 12, 12) * 0.5
    x[torch.arange(n), y % 3] += (y[:, None, None] + 1).float() / CLASSES
    return x.to(device), y.to(device)


model = ProbeModel().to(device)
model.backbone.requires_grad_(False)
optimizer = torch.optim.SGD(model.head.parameters(), lr=0.1, momentum=0.9)
scaler = torch.amp.GradScaler(device, enabled=(amp_dtype == torch.float16))

for epoch in range(3):
    model.train()
    for i in range(16):
        x, y = make_batch()
        with torch.autocast(device_type=device, dtype=amp_dtype):
            loss = F.cross_entropy(model(x), y) / ACCUM_STEPS
        scaler.scale(loss).backward()
        if (i + 1) % ACCUM_STEPS == 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.head.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
    model.eval()
    with torch.inference_mode():
        x, y = make_batch(128)
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"epoch {epoch}  last loss {loss.item() * ACCUM_STEPS:.4f}  probe acc {acc:.3f}")
