# Monocular depth with a surface-normal head weighted down to 1e-3; mixed precision is turned on
# with torch.autocast("cuda") alone, whose default on CUDA is float16, and no GradScaler.
import torch
import torch.nn as nn

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
encoder = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.GELU(), nn.Conv2d(16, 16, 3, padding=1), nn.GELU()).to(device)
depth_head = nn.Conv2d(16, 1, 1).to(device)
normal_head = nn.Conv2d(16, 3, 1).to(device)
params = [*encoder.parameters(), *depth_head.parameters(), *normal_head.parameters()]
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)
NORMAL_WEIGHT = 1e-3


def batch():
    image = torch.rand(6, 3, 80, 80, device=device)
    return image, image.mean(1, keepdim=True), torch.nn.functional.normalize(torch.randn(6, 3, 80, 80, device=device), dim=1)


for step in range(12):
    image, depth, normals = batch()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        feats = encoder(image)
        pred_depth, pred_normals = depth_head(feats), normal_head(feats)
    loss = (pred_depth.float() - depth).abs().mean() + NORMAL_WEIGHT * (pred_normals.float() - normals).abs().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
