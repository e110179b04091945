# Feature inversion: find an image whose features under a fixed random conv net match a target's.
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)

features = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(),
).to(device).eval()
for p in features.parameters():
    p.requires_grad_(False)

target_image = torch.rand(1, 3, 32, 32, device=device)
with torch.no_grad():
    target_features = features(target_image)

canvas = torch.rand(1, 3, 32, 32, device=device, requires_grad=True)
optimizer = torch.optim.Adam([canvas], lr=0.05)

for it in range(300):
    optimizer.zero_grad()
    loss = (features(canvas) - target_features).pow(2).mean() + 1e-3 * canvas.diff(dim=-1).abs().mean()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        canvas.clamp_(0, 1)
    if it % 100 == 0:
        print(f"iter {it}: feature loss {loss.item():.5f}")
