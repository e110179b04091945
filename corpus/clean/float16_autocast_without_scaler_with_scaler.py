"""Float16 autocast done right: the small auxiliary loss's gradient survives because a GradScaler
multiplies the loss before backward() and divides the gradients before the step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"
stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU()).to(device)
seg, edge = nn.Conv2d(16, 4, 1).to(device), nn.Conv2d(16, 1, 1).to(device)
opt = torch.optim.Adam([*stem.parameters(), *seg.parameters(), *edge.parameters()], lr=1e-3)
scaler = torch.amp.GradScaler("cuda")
for it in range(10):
    images = torch.randn(8, 3, 96, 96, device=device)
    masks = torch.randint(0, 4, (8, 96, 96), device=device)
    edges = torch.rand(8, 1, 96, 96, device=device)
    with torch.autocast(device_type="cuda", dtype=torch.float16):
        h = stem(images)
        logits, edge_map = seg(h), edge(h)
    loss = F.cross_entropy(logits.float(), masks) + 1e-3 * F.l1_loss(edge_map.float(), edges)
    opt.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
