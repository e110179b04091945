import torch
import torch.nn as nn


class Regressor(nn.Module):
    def init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


class Trainer:
    def __init__(self, lr=0.01):
        self.model = Regressor()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)
        self.loss_fn = nn.MSELoss()

    def fit(self, x, y, epochs=4):
        for epoch in range(epochs):
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(50, 4)
    Trainer().fit(x, x.sum(dim=1, keepdim=True))
