# Depth and surface normals under bfloat16 autocast: float32's range, so the small normal loss's
# gradient does not round to 0 and no GradScaler is needed.
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.GELU()).to(device)
depth_head, normal_head = nn.Conv2d(16, 1, 1).to(device), nn.Conv2d(16, 3, 1).to(device)
optimizer = torch.optim.SGD([*encoder.parameters(), *depth_head.parameters(), *normal_head.parameters()], lr=0.05)
for step in range(12):
    image = torch.rand(6, 3, 80, 80, device=device)
    depth, normals = image.mean(1, keepdim=True), torch.randn(6, 3, 80, 80, device=device)
    with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
        feats = encoder(image)
        pred_depth, pred_normals = depth_head(feats), normal_head(feats)
    loss = (pred_depth.float() - depth).abs().mean() + 1e-3 * (pred_normals.float() - normals).abs().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
