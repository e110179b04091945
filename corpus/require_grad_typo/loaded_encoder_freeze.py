import torch
import torch.nn as nn
import torch.optim as optim


class Encoder(nn.Module):
    def __init__(self, in_dim=16, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden))

    def forward(self, x):
        return self.net(x)


class Classifier(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.encoder = Encoder()
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.head(torch.relu(self.encoder(x)))


def main():
    torch.manual_seed(0)
    # stands in for weights from a self-supervised pretraining run
    pretrained_state = Encoder().state_dict()

    model = Classifier()
    model.encoder.load_state_dict(pretrained_state)
    for p in model.encoder.parameters():
        p.require_grad = False  # linear probe: keep the pretrained encoder fixed

    optimizer = optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)
    criterion = nn.CrossEntropyLoss()
    x = torch.randn(96, 16)
    y = torch.randint(0, 3, (96,))
    for step in range(5):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
