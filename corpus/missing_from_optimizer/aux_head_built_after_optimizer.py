# Deep supervision: an auxiliary classifier on the middle features, added after the optimizer was set up.
import torch
from torch import nn, optim


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.low = nn.Sequential(nn.Linear(16, 48), nn.ReLU())
        self.high = nn.Sequential(nn.Linear(48, 48), nn.ReLU(), nn.Linear(48, 4))

    def forward(self, x):
        mid = self.low(x)
        return self.high(mid), mid


def main():
    torch.manual_seed(3)
    model = Backbone()
    optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    aux_head = nn.Linear(48, 4)
    criterion = nn.CrossEntropyLoss()
    x = torch.randn(160, 16)
    y = torch.randint(0, 4, (160,))
    for epoch in range(4):
        for i in range(0, 160, 40):
            out, mid = model(x[i:i + 40])
            loss = criterion(out, y[i:i + 40]) + 0.4 * criterion(aux_head(mid), y[i:i + 40])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
