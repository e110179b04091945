# Segmentation toy: the refinement conv is built inline in forward() and moved to the input's device.
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class RefineNet(nn.Module):
    def __init__(self, classes=2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())
        self.classifier = nn.Conv2d(16, classes, 1)
        self.conv2d = nn.Conv2d(16, 16, 3, padding=1)

    def forward(self, x):
        f = self.stem(x)
        f = torch.relu(self.conv2d(f)) + f
        return self.classifier(f)


torch.manual_seed(0)
model = RefineNet().to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
images = torch.randn(24, 3, 20, 20)
masks = (images.mean(1) > 0).long()
for epoch in range(3):
    for i in range(0, 24, 8):
        x, y = images[i:i + 8].to(device), masks[i:i + 8].to(device)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())
