# Sequence regressor trained in two stages by a Trainer: the head alone on top of a frozen
# convolutional encoder, then everything. unfreeze() skips whatever is frozen.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvEncoder(nn.Module):
    def __init__(self, channels=4, hidden=32):
        super().__init__()
        self.conv1 = nn.Conv1d(channels, hidden, 5, padding=2)
        self.conv2 = nn.Conv1d(hidden, hidden, 3, padding=1)

    def forward(self, x):
        return F.gelu(self.conv2(F.gelu(self.conv1(x)))).mean(-1)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ConvEncoder()
        self.head = nn.Linear(32, 1)

    def forward(self, x):
        return self.head(self.encoder(x)).squeeze(-1)


class Trainer:
    def __init__(self, model):
        self.model = model

    @staticmethod
    def freeze(module):
        for p in module.parameters():
            p.requires_grad = False

    @staticmethod
    def unfreeze(module):
        for p in module.parameters():
            if not p.requires_grad:
                continue
            p.requires_grad = True

    def stage(self, optimizer, steps):
        for step in range(steps):
            x = torch.randn(16, 4, 40)
            target = x[:, 0].mean(-1) - x[:, 3].std(-1)
            loss = F.mse_loss(self.model(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss.item()

    def run(self):
        self.freeze(self.model.encoder)
        print("head only:", self.stage(torch.optim.Adam(self.model.head.parameters(), lr=1e-2), 20))
        self.unfreeze(self.model.encoder)
        print("all:", self.stage(torch.optim.Adam(self.model.parameters(), lr=1e-3), 20))


if __name__ == "__main__":
    torch.manual_seed(0)
    Trainer(Regressor()).run()
