"""A random feature extractor frozen whole by a counter loop over its parameters (every tensor
below the limit), feeding a separate head module that the optimizer trains: nothing is missing."""
import torch
import torch.nn as nn

torch.manual_seed(0)
extractor = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
head = nn.Linear(8, 5)
count = 0
for p in extractor.parameters():
    count += 1
    if count <= 100:
        p.requires_grad = False
optimizer = torch.optim.SGD(head.parameters(), lr=0.05)
for step in range(10):
    images, labels = torch.randn(4, 3, 12, 12), torch.randint(0, 5, (4,))
    loss = nn.functional.cross_entropy(head(extractor(images)), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
