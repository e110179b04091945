# Classifies synthetic wafer-map images into three defect patterns with a small CNN whose
# convolutions and head are batch-normalised, trained on batches of 32 (the last batch of each
# epoch holds 10 images). Afterwards the model, in eval mode, scores incoming wafers one at a time,
# as a production line would.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def wafer_maps(n, seed):
    g = torch.Generator().manual_seed(seed)
    pattern = torch.randint(3, (n,), generator=g)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 20), torch.linspace(-1, 1, 20), indexing="ij")
    radius = (xx ** 2 + yy ** 2).sqrt()
    shapes = torch.stack([(radius < 0.4).float(), (radius > 0.7).float(), (xx.abs() < 0.15).float()])
    return shapes[pattern][:, None] + 0.4 * torch.randn(n, 1, 20, 20, generator=g), pattern


torch.manual_seed(6)
train_x, train_y = wafer_maps(330, seed=6)
stream_x, stream_y = wafer_maps(25, seed=7)
train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=32, shuffle=True)
stream_loader = DataLoader(TensorDataset(stream_x, stream_y), batch_size=1)

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    nn.Linear(16, 16), nn.BatchNorm1d(16), nn.ReLU(),
    nn.Linear(16, 3),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    for maps, pattern in train_loader:
        loss = criterion(model(maps), pattern)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")

model.eval()
correct = 0
with torch.no_grad():
    for wafer, pattern in stream_loader:
        correct += int(model(wafer).argmax(1).item() == pattern.item())
print(f"stream accuracy {correct}/{len(stream_x)}")
