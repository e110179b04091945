# Spectrogram classifier whose first conv and classifier are lazy modules: they take their input
# sizes from the first batch. The optimizer is built right after the model, before any call:
# torch fills in the same parameter objects on the first forward, so the optimizer holds them.
import torch
import torch.nn as nn
import torch.nn.functional as F


class LazySpecNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.conv = nn.Sequential(nn.LazyConv2d(8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.LazyLinear(32), nn.ReLU(), nn.Linear(32, n_classes))

    def forward(self, spec):
        return self.head(self.conv(spec))


torch.manual_seed(13)
device = "cuda" if torch.cuda.is_available() else "cpu"
specs = torch.randn(96, 2, 16, 20)
labels = torch.randint(0, 3, (96,))
model = LazySpecNet().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
for epoch in range(3):
    for i in range(0, 96, 16):
        loss = F.cross_entropy(model(specs[i:i + 16].to(device)), labels[i:i + 16].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
