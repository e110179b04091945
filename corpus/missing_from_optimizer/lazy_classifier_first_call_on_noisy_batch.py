# Texture classifier for 1x20x20 patches. The classifier's input size depends on the conv stack,
# so forward() builds it on the first call; every batch gets fresh Gaussian noise as augmentation.
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextureNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.num_classes = num_classes
        self.fc = None

    def forward(self, x):
        h = torch.flatten(self.features(x), 1)
        if self.fc is None:
            self.fc = nn.Linear(h.shape[1], self.num_classes).to(h.device)
        return self.fc(h)


torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
patches = torch.randn(200, 1, 20, 20)
targets = torch.randint(0, 4, (200,))
net = TextureNet().to(device)
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)

for epoch in range(3):
    for i in range(0, 200, 25):
        x = patches[i:i + 25].to(device)
        x = x + 0.1 * torch.randn_like(x)
        loss = F.cross_entropy(net(x), targets[i:i + 25].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
