# A Trainer builds its optimizer, then its warm-up re-registers each layer's gain from the first
# batch's statistics: register_parameter over an existing name makes a new tensor each time.
import torch
import torch.nn as nn

torch.manual_seed(0)


class ScaledLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.gain = nn.Parameter(torch.ones(n_out))

    def forward(self, x):
        return self.linear(x) * self.gain


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def warm_up(self, x):
        h = x
        for layer in self.model:
            if isinstance(layer, ScaledLinear):
                out = layer.linear(h).detach()
                layer.register_parameter("gain", nn.Parameter(1.0 / (out.std(0) + 1e-3)))
            h = layer(h)

    def fit(self, x, y, steps):
        for _ in range(steps):
            self.optimizer.zero_grad()
            loss = (self.model(x) - y).pow(2).mean()
            loss.backward()
            self.optimizer.step()
        return loss.item()


model = nn.Sequential(ScaledLinear(8, 32), nn.Tanh(), ScaledLinear(32, 1))
trainer = Trainer(model, lr=0.01)
x, y = torch.randn(128, 8), torch.randn(128, 1)
trainer.warm_up(x)
print(trainer.fit(x, y, 30))
