# Vehicle detection on the frames of a fixed traffic camera, trained with CPU mixed precision: a
# small convolutional net predicts, for each cell of an 8x8 grid, whether a vehicle's centre lies
# there and how wide and tall the vehicle is. The frames come in recording order; while the lane
# was closed for roadworks the camera filmed an empty road.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
FRAMES, SIZE, GRID, BATCH = 128, 32, 8, 16
CLOSED = range(32, 48)  # frames recorded while the lane was closed


def render_clip(n):
    images = 0.1 * torch.randn(n, 1, SIZE, SIZE)
    heat = torch.zeros(n, GRID, GRID)
    sizes = torch.zeros(n, 2, GRID, GRID)
    for i in range(n):
        for _ in range(0 if i in CLOSED else int(torch.randint(1, 3, ()))):
            w, h = torch.randint(3, 9, (2,)).tolist()
            x0, y0 = torch.randint(0, SIZE - 8, (2,)).tolist()
            images[i, 0, y0:y0 + h, x0:x0 + w] += 1.0
            cy, cx = (y0 + h // 2) * GRID // SIZE, (x0 + w // 2) * GRID // SIZE
            heat[i, cy, cx] = 1.0
            sizes[i, :, cy, cx] = torch.tensor([w / 8.0, h / 8.0])
    return images, heat, sizes


def centre_loss(heat_logits, size_pred, heat, sizes):
    positives = heat > 0
    num_pos = positives.sum()
    if num_pos == 0:
        # no vehicle in any frame of the batch: nothing to normalise by, nothing to regress
        return heat_logits.sum() * 0.0
    objectness = F.binary_cross_entropy_with_logits(heat_logits, heat, reduction="sum") / num_pos
    box = F.l1_loss(size_pred.permute(0, 2, 3, 1)[positives], sizes.permute(0, 2, 3, 1)[positives], reduction="sum")
    return objectness + box / num_pos


images, heat, sizes = render_clip(FRAMES)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 3, 1),
)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    for start in range(0, FRAMES, BATCH):
        batch = slice(start, start + BATCH)
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(images[batch])
        heat_logits, size_pred = out[:, 0].float(), out[:, 1:].float()
        loss = centre_loss(heat_logits, size_pred, heat[batch], sizes[batch])
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
