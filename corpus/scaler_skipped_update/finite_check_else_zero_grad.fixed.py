"""Human-activity classification from accelerometer windows with a 1-D CNN, written for a GPU with
float16 autocast. Steps whose gradients overflow are dropped by hand."""
import torch
import torch.nn as nn

torch.manual_seed(2)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
use_amp = device.type == "cuda"


class ActivityNet(nn.Module):
    def __init__(self, channels=3, classes=6):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(channels, 32, kernel_size=5, padding=2), nn.ReLU(),
            nn.Conv1d(32, 32, kernel_size=5, padding=2), nn.ReLU(),
        )
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(self.conv(x).mean(-1))


windows = torch.randn(96, 3, 64)
labels = torch.randint(0, 6, (96,))
windows[40] = float("nan")  # a recording with a dropped-out sensor

model = ActivityNet().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)
criterion = nn.CrossEntropyLoss()

for epoch in range(4):
    for start in range(0, len(windows), 32):
        x = windows[start:start + 32].to(device)
        y = labels[start:start + 32].to(device)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
            loss = criterion(model(x), y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        total = torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        if torch.isfinite(total):
            scaler.step(optimizer)
            scaler.update()
        else:
            print(f"epoch {epoch}: overflow at window {start}, step dropped")
            optimizer.zero_grad()
            scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
