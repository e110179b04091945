# A hand-rolled MLP whose per-layer biases are plain tensors with requires_grad, appended to a
# list in a loop; the weights are registered Linear layers without bias.
import torch
import torch.nn as nn


class BiasedMLP(nn.Module):
    def __init__(self, sizes=(6, 24, 24, 1)):
        super().__init__()
        self.linears = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(sizes, sizes[1:]))
        self.biases = nn.ParameterList()
        for width in sizes[1:]:
            self.biases.append(torch.zeros(width, requires_grad=True))

    def forward(self, x):
        for i, (linear, bias) in enumerate(zip(self.linears, self.biases)):
            x = linear(x) + bias
            if i < len(self.linears) - 1:
                x = torch.relu(x)
        return x


def train(model, steps=40):
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    x = torch.randn(100, 6)
    y = x.sum(dim=1, keepdim=True) + 3.0
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    print(train(BiasedMLP()))
