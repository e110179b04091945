# Keyword spotting on short audio clips with CPU mixed precision: a small 1-D convolutional net
# tags which of 8 keywords a clip contains. Only clips a listener confirmed carry a label (-1
# elsewhere); the loss is written device- and dtype-agnostic, its placeholder made with
# logits.new_zeros, and a batch may hold no confirmed clip.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
CLIPS, SAMPLES, KEYWORDS, BATCH = 256, 400, 8, 8

keyword = torch.randint(0, KEYWORDS, (CLIPS,))
t = torch.linspace(0, 1, SAMPLES)
clips = torch.sin(2 * torch.pi * (5 + 3 * keyword[:, None]) * t) + 0.5 * torch.randn(CLIPS, SAMPLES)
labels = torch.where(torch.rand(CLIPS) < 0.2, keyword, -1)


def confirmed_cross_entropy(logits, labels):
    confirmed = labels >= 0
    if not confirmed.any():
        return logits.new_zeros((), dtype=torch.float32, requires_grad=True)
    return F.cross_entropy(logits[confirmed].float(), labels[confirmed])


model = nn.Sequential(
    nn.Conv1d(1, 16, 9, stride=4), nn.ReLU(), nn.Conv1d(16, 32, 9, stride=4), nn.ReLU(),
    nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(32, KEYWORDS),
)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    for start in range(0, CLIPS, BATCH):
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(clips[start:start + BATCH, None])
        loss = confirmed_cross_entropy(logits, labels[start:start + BATCH])
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
