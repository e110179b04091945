"""A classifier that logs a random sketch of its features: the sketch matrix is initialised with
Xavier scaling so the sketch keeps the features' scale, and it is only used under no_grad."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)
        self.register_buffer("sketch", nn.init.xavier_uniform_(torch.empty(32, 4)))

    def forward(self, x):
        h = self.features(x)
        with torch.no_grad():
            self.last_sketch = h @ self.sketch
        return self.head(h)


model = Classifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(50, 10), torch.randint(0, 3, (50,))
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(step, loss.item(), model.last_sketch.norm().item())
