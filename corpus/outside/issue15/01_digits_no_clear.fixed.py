# A small digit classifier on synthetic 8x8 "images", trained with a DataLoader. Each step is
# meant to use the gradient of its own batch.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
images = torch.randn(280, 1, 8, 8)
labels = (images.mean(dim=(1, 2, 3)) > 0).long() + 2 * (images[:, 0, :4].mean(dim=(1, 2)) > 0).long()
loader = DataLoader(TensorDataset(images, labels), batch_size=40, shuffle=False)


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.fc1 = nn.Linear(6 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)


net = DigitNet()
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(5):
    for xb, yb in loader:
        opt.zero_grad()
        out = net(xb)
        loss = F.nll_loss(out, yb)
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
print(f"checksum {sum(p.double().sum().item() for p in net.parameters()):.8f}")
