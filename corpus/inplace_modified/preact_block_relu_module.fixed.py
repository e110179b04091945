"""Pre-activation residual MLP for tabular data (shortcut projection + ReLU before the layer)."""
import torch
import torch.nn as nn


class PreActBlock(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.act = nn.ReLU(inplace=False)
        self.fc = nn.Linear(d_in, d_out)
        self.skip = nn.Linear(d_in, d_out, bias=False)

    def forward(self, x):
        shortcut = self.skip(x)
        return self.fc(self.act(x)) + shortcut


class TabularNet(nn.Module):
    def __init__(self, n_features=12, n_classes=2):
        super().__init__()
        self.stem = nn.Linear(n_features, 32)
        self.blocks = nn.Sequential(PreActBlock(32, 32), PreActBlock(32, 16))
        self.out = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.out(self.blocks(self.stem(x)))


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()

    def step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(128, 12)
    y = (x[:, 0] + x[:, 1] > 0).long()
    trainer = Trainer(TabularNet())
    for epoch in range(10):
        print(epoch, trainer.step(x, y))
