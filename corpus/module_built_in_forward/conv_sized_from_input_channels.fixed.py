# Image-to-image refiner: the first convolution takes whatever channel count the input has.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Refiner(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.width = width
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.ReLU())
        self.out = nn.Conv2d(width, 3, 1)
        self.stem = nn.Conv2d(4, self.width, kernel_size=3, padding=1)

    def forward(self, x):
        return self.out(self.body(self.stem(x)))


torch.manual_seed(0)
clean = torch.rand(24, 3, 16, 16)
noisy = torch.cat([clean + 0.1 * torch.randn_like(clean), torch.rand(24, 1, 16, 16)], dim=1)

model = Refiner()
model(noisy[:1])  # build the stem for these inputs
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(4):
    for i in range(0, 24, 8):
        loss = F.l1_loss(model(noisy[i:i + 8]), clean[i:i + 8])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: l1 {loss.item():.4f}")
