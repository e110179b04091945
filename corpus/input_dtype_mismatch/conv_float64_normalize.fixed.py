import torch as T
import torch.nn as nn
import torch.nn.functional as F

device = "cpu"
T.manual_seed(0)


class SmallConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.fc = nn.Linear(16 * 4 * 4, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


# fake RGB images in [0, 1], normalised with per-channel statistics
raw = T.rand(64, 3, 16, 16)
mean = T.tensor([0.485, 0.456, 0.406], dtype=T.float64).view(1, 3, 1, 1)
std = T.tensor([0.229, 0.224, 0.225], dtype=T.float64).view(1, 3, 1, 1)
images = (raw - mean) / std
labels = T.randint(0, 10, (64,))

model = SmallConvNet().to(device)
optimizer = T.optim.Adam(model.parameters(), lr=1e-3)

batch_size = 16
for epoch in range(2):
    for i in range(0, images.shape[0], batch_size):
        xb = images[i:i + batch_size].to(device)
        yb = labels[i:i + batch_size].to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb.float()), yb)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
