"""Domain-adversarial training whose reversal strength grows with the number of calls, as in
CDAN's reference code."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ScheduledReversal(torch.autograd.Function):
    def __init__(self, max_iter=100.0):
        self.iter_num = 0
        self.max_iter = max_iter

    def coefficient(self):
        return 2.0 / (1.0 + math.exp(-10 * self.iter_num / self.max_iter)) - 1.0

    def forward(self, features):
        self.iter_num += 1
        return features * 1.0

    def backward(self, grad_output):
        return -self.coefficient() * grad_output


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
        self.classifier = nn.Linear(32, 3)
        self.reversal = ScheduledReversal()
        self.critic = nn.Linear(32, 1)

    def forward(self, x):
        z = self.encoder(x)
        return self.classifier(z), self.critic(self.reversal(z))


def train(epochs=3):
    torch.manual_seed(0)
    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    xs, ys = torch.randn(192, 12), torch.randint(0, 3, (192,))
    xt = torch.randn(192, 12) * 1.5
    for epoch in range(epochs):
        for a, b, t in zip(xs.split(48), ys.split(48), xt.split(48)):
            logits, from_source = model(a)
            _, from_target = model(t)
            adversarial = F.binary_cross_entropy_with_logits(
                torch.cat([from_source, from_target]), torch.cat([torch.ones(48, 1), torch.zeros(48, 1)])
            )
            loss = F.cross_entropy(logits, b) + adversarial
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    train()
