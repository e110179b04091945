import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class Classifier(nn.Module):
    def __init__(self, in_dim=10, num_classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 32), nn.ReLU())
        self.head = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.head(self.body(x))


def bootstrapped_targets(logits, labels, beta=0.8):
    """Soft bootstrapping: mix the noisy labels with the model's own prediction."""
    one_hot = F.one_hot(labels, logits.size(1)).float()
    own = F.softmax(logits, dim=1).detach()
    return beta * one_hot + (1.0 - beta) * own


def main():
    torch.manual_seed(0)
    x = torch.randn(120, 10)
    labels = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    flip = torch.rand(120) < 0.2
    labels[flip] = torch.randint(0, 3, (int(flip.sum()),))

    model = Classifier()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)

    for step in range(6):
        optimizer.zero_grad()
        logits = model(x)
        targets = bootstrapped_targets(logits, labels)
        loss = -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
