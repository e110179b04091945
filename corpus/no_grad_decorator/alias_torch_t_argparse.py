import argparse

import torch as T
import torch.nn as nn
import torch.nn.functional as F


class TinyCNN(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 12, 3, padding=1)
        self.fc = nn.Linear(12 * 4 * 4, n_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


@T.no_grad()
def train_epoch(model, images, labels, opt, batch_size):
    total = 0.0
    for i in range(0, len(images), batch_size):
        opt.zero_grad()
        loss = F.cross_entropy(model(images[i:i + batch_size]), labels[i:i + batch_size])
        loss.backward()
        opt.step()
        total += loss.item()
    return total


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--classes", type=int, default=4)
    args = parser.parse_args()

    T.manual_seed(0)
    images = T.randn(64, 1, 16, 16)
    labels = T.randint(0, args.classes, (64,))
    model = TinyCNN(args.classes)
    opt = T.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    for epoch in range(args.epochs):
        print(f"epoch {epoch}: loss {train_epoch(model, images, labels, opt, args.batch_size):.4f}")
