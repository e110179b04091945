import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 6, 3, padding=1)
        self.head = nn.Linear(6 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        return self.head(x.flatten(1))


def train(model, optimizer, images, labels, epochs=5):
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        print(epoch, round(loss.item(), 4))


if __name__ == "__main__":
    torch.manual_seed(0)
    net = TinyCNN()
    train(net, torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9), torch.randn(32, 1, 8, 8), torch.randint(0, 10, (32,)))
