"""A Trainer class around a regression model whose output layer is written by hand."""
import math

import torch


class HandLinear(torch.nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(out_features, in_features) / math.sqrt(in_features))
        self.bias = torch.zeros(out_features)

    def forward(self, x):
        return x @ self.weight.t() + self.bias


class Regressor(torch.nn.Module):
    def __init__(self, in_features, hidden, out_features):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(in_features, hidden), torch.nn.Tanh())
        self.head = HandLinear(hidden, out_features)

    def forward(self, x):
        return self.head(self.body(x))


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        loss = torch.nn.functional.smooth_l1_loss(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, x, y, epochs, batch_size=32):
        for epoch in range(epochs):
            perm = torch.randperm(x.size(0))
            for start in range(0, x.size(0), batch_size):
                batch = perm[start:start + batch_size]
                last = self.train_step(x[batch], y[batch])
            print(f"epoch {epoch}: {last:.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(300, 5)
    y = torch.stack([x[:, 0] * 2 + 3.0, x[:, 1] - x[:, 2] - 1.5], dim=1)
    trainer = Trainer(Regressor(5, 16, 2), lr=0.05)
    trainer.fit(x, y, epochs=4)
