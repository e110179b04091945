import torch
import torch.nn as nn
import torch.optim as optim


class TabularNet(nn.Module):
    def __init__(self, in_features=10, hidden=32, num_classes=3):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(hidden, num_classes)

    def forward(self, x):
        h = self.encoder(x)
        return self.classifier(h.detach())


def main():
    torch.manual_seed(0)
    x = torch.randn(128, 10)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()

    model = TabularNet()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(6):
        optimizer.zero_grad()
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
