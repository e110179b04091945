# Land-cover segmentation of satellite tiles with CPU mixed precision: a small fully
# convolutional net labels each pixel water, forest, field or town. Tiles come grouped by
# acquisition date, one date per batch, and pixels under cloud are masked out of the loss; on the
# third date the whole scene was overcast.
import torch
import torch.nn as nn

from losses import clear_pixel_accuracy, cloud_masked_cross_entropy

torch.manual_seed(0)
DATES, TILES, SIZE, CLASSES = 12, 6, 24, 4
OVERCAST = {2}


def acquire(date):
    labels = torch.randint(0, CLASSES, (TILES, SIZE // 6, SIZE // 6))
    labels = labels.repeat_interleave(6, 1).repeat_interleave(6, 2)
    bands = torch.eye(CLASSES)[labels].permute(0, 3, 1, 2) + 0.3 * torch.randn(TILES, CLASSES, SIZE, SIZE)
    cloud = torch.rand(TILES, 1, SIZE, SIZE) < (1.0 if date in OVERCAST else 0.3)
    bands = torch.where(cloud, torch.ones_like(bands), bands)
    return bands, labels, ~cloud[:, 0]


scenes = [acquire(date) for date in range(DATES)]
model = nn.Sequential(
    nn.Conv2d(CLASSES, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, CLASSES, 1),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    for bands, labels, clear in scenes:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(bands)
        loss = cloud_masked_cross_entropy(logits, labels, clear)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}, clear-pixel accuracy {clear_pixel_accuracy(logits, labels, clear):.3f}")
