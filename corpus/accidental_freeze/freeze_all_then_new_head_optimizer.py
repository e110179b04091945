# Transfer learning: load a backbone, give it a new 3-class head, freeze everything, and train
# "only the head". The freeze loop runs after the head is replaced, so the head is frozen too.
import torch
import torch.nn as nn


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.features(x))


source = Backbone()
model = Backbone()
model.load_state_dict(source.state_dict())
model.fc = nn.Linear(32, 3)
for p in model.parameters():
    p.requires_grad = False

optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.05, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x, y = torch.randn(128, 20), torch.randint(0, 3, (128,))
for epoch in range(10):
    for i in range(0, 128, 32):
        optimizer.zero_grad()
        loss = loss_fn(model(x[i : i + 32]), y[i : i + 32])
        loss.backward()
        optimizer.step()
