"""Evaluation: restore a checkpoint (model + optimizer, via the shared factory) and compute saliency maps."""
import io
import torch
import torch.nn as nn


def build(lr=1e-3):
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))
    return model, torch.optim.Adam(model.parameters(), lr=lr)


torch.manual_seed(0)
m0, o0 = build()
buf = io.BytesIO()
torch.save({"model": m0.state_dict(), "optimizer": o0.state_dict()}, buf)
buf.seek(0)

model, optimizer = build()
ckpt = torch.load(buf)
model.load_state_dict(ckpt["model"])
optimizer.load_state_dict(ckpt["optimizer"])
model.eval()

maps = []
for batch in range(5):
    images = torch.randn(16, 1, 12, 12, requires_grad=True)
    scores = model(images)
    top = scores.gather(1, scores.argmax(1, keepdim=True)).sum()
    model.zero_grad()
    top.backward()
    maps.append(images.grad.abs().amax(1))
print(torch.cat(maps).mean().item())
