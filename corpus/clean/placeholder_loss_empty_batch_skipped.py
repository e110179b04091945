# Hand keypoint regression from a wrist camera with CPU mixed precision: a small convolutional
# net predicts the fingertip's position in each frame. Frames where the hand is out of view carry
# no label; a batch with no labelled frame is skipped before backward(), so the scaler only ever
# steps after gradients were computed.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
FRAMES, SIZE, BATCH = 96, 24, 8
OUT_OF_VIEW = range(8, 16)  # the wearer lowered the arm: the second batch sees no hand

frames = 0.1 * torch.randn(FRAMES, 1, SIZE, SIZE)
tips = torch.rand(FRAMES, 2) * (SIZE - 4) + 2
visible = torch.ones(FRAMES, dtype=torch.bool)
visible[list(OUT_OF_VIEW)] = False
for i in range(FRAMES):
    if visible[i]:
        x, y = tips[i].long().tolist()
        frames[i, 0, y - 2:y + 2, x - 2:x + 2] += 1.0

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(3),
    nn.Flatten(), nn.Linear(32 * 9, 2),
)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
scaler = torch.amp.GradScaler("cpu")

skipped = 0
for epoch in range(3):
    for start in range(0, FRAMES, BATCH):
        seen = visible[start:start + BATCH]
        if not seen.any():
            skipped += 1
            continue  # nothing to regress in this batch
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = model(frames[start:start + BATCH])
        loss = F.smooth_l1_loss(pred.float()[seen] / SIZE, tips[start:start + BATCH][seen] / SIZE)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}, {skipped} empty batches skipped")
