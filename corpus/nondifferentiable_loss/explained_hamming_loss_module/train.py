import torch
import torch.nn as nn
import torch.optim as optim

from losses import hamming_loss


class TagModel(nn.Module):
    def __init__(self, in_dim=12, num_tags=5):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 24), nn.ReLU())
        self.tags = nn.Linear(24, num_tags)

    def forward(self, x):
        return self.tags(self.body(x))


def main():
    torch.manual_seed(0)
    x = torch.randn(100, 12)
    targets = (torch.randn(100, 5) > 0).float()

    model = TagModel()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    for epoch in range(4):
        optimizer.zero_grad()
        loss = hamming_loss(model(x), targets)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: hamming {loss.item():.4f}")


if __name__ == "__main__":
    main()
