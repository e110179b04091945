import torch
import torch.nn as nn
import torch.nn.functional as F


def set_trainable(module, trainable):
    for param in module.parameters():
        param.requires_grad = trainable


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(torch.relu(self.encoder(x)))


def main():
    torch.manual_seed(0)
    model = Classifier()
    pretrained = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16))
    model.encoder.load_state_dict(pretrained.state_dict())
    set_trainable(model.encoder, False)
    set_trainable(model.head, False)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 10), torch.randint(0, 3, (64,))
    for step in range(10):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
