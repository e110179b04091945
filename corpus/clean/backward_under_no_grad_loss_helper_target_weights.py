# Edge-aware depth loss: the per-pixel weights come from the target image alone and are computed
# under no_grad; the loss itself is computed outside the block.
import torch
import torch.nn as nn


def edge_weighted_l1(pred, target, image):
    with torch.no_grad():
        gx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean(1, keepdim=True)
        weights = torch.exp(-gx)
        weights = weights / weights.mean()
    err = (pred[..., :, 1:] - target[..., :, 1:]).abs()
    return (err * weights).mean()


torch.manual_seed(0)
image = torch.rand(32, 3, 12, 12)
target = image.mean(1, keepdim=True) * 4 + 1
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 3, padding=1))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, 32, 8):
        loss = edge_weighted_l1(model(image[i:i + 8]), target[i:i + 8], image[i:i + 8])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
