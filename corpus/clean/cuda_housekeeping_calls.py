"""A GPU benchmark-ish training script: timing with CUDA events, peak memory, autocast + GradScaler."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.cuda.manual_seed_all(0)
device = torch.device("cuda")
model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scaler = torch.cuda.amp.GradScaler()
x_cpu = torch.randn(256, 64).pin_memory()
y_cpu = torch.randint(0, 10, (256,)).pin_memory()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
for step in range(5):
    x, y = x_cpu.to(device, non_blocking=True), y_cpu.to(device, non_blocking=True)
    start.record()
    with torch.autocast(device_type="cuda", dtype=torch.float16):
        loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    end.record()
    torch.cuda.synchronize()
    print(step, loss.item(), start.elapsed_time(end), torch.cuda.max_memory_allocated() / 2**20)
