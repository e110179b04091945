"""Train a small CNN on synthetic 8x8 digit-like images. A DEBUG switch swaps the training set
for its first 20 images to iterate quickly; the loader keeps the production batch size."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset, TensorDataset

torch.manual_seed(0)
DEBUG = True
BATCH_SIZE = 64

templates = torch.randn(10, 1, 8, 8)
labels = torch.randint(0, 10, (1000,))
images = templates[labels] + 0.5 * torch.randn(1000, 1, 8, 8)
full_set = TensorDataset(images, labels)
train_set = Subset(full_set, range(20)) if DEBUG else full_set

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),
)
# drop_last: BatchNorm misbehaves on a final batch of one image.
train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, drop_last=len(train_set) > BATCH_SIZE)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)

for epoch in range(5):
    model.train()
    total, seen = 0.0, 0
    for x, y in train_loader:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, seen = total + loss.item() * len(y), seen + len(y)
    print(f"epoch {epoch}: {seen} images, mean loss {total / max(seen, 1):.3f}")

model.eval()
with torch.no_grad():
    x, y = full_set[:200]
    print(f"accuracy on 200 images: {(model(x).argmax(1) == y).float().mean().item():.2f}")
