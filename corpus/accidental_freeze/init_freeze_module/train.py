import torch
import torch.nn as nn
import torch.optim as optim

from model import ConvNet


def main():
    torch.manual_seed(0)
    images = torch.randn(32, 1, 16, 16)
    labels = torch.randint(0, 5, (32,))

    model = ConvNet(num_classes=5)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    criterion = nn.CrossEntropyLoss()

    for step in range(5):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
