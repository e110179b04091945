import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DriftTracker(nn.Module):
    """Remembers where a layer's weights started; the buffer requires grad only because it was
    computed from the layer's parameters, and it is only read under no_grad."""

    def __init__(self, layer):
        super().__init__()
        self.register_buffer("start", layer.weight.mean(0))

    def forward(self, layer):
        with torch.no_grad():
            return (layer.weight.mean(0) - self.start).norm()


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 4)
        self.tracker = DriftTracker(self.fc)

    def forward(self, x):
        return self.fc(x)


model = Model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x = torch.randn(64, 12)
y = torch.randint(0, 4, (64,))
for step in range(20):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    drift = model.tracker(model.fc)
