# Element-wise gradient clipping through parameter hooks, configured from a dict.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

config = {"lr": 1e-3, "grad_clip_value": 0, "epochs": 4}

torch.manual_seed(0)
images = torch.randn(120, 3, 8, 8)
labels = torch.randint(0, 3, (120,))
loader = DataLoader(TensorDataset(images, labels), batch_size=40, shuffle=True)

net = nn.Sequential(
    nn.Conv2d(3, 12, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(48, 3)
)
clip = config["grad_clip_value"]
for p in net.parameters():
    p.register_hook(lambda grad: grad.clamp(-clip, clip))

optimizer = torch.optim.Adam(net.parameters(), lr=config["lr"])
criterion = nn.CrossEntropyLoss()
for epoch in range(config["epochs"]):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(net(xb), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
