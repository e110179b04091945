"""A shared trunk with a classification head and an age-regression head. The weighted total
is built from the heads' losses as numbers, for the log, and then backpropagated."""
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.gender = nn.Linear(64, 2)
        self.age = nn.Linear(64, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.gender(h), self.age(h).squeeze(-1)


net = MultiTaskNet()
optimizer = optim.Adam(net.parameters(), lr=1e-3)
ce, l1 = nn.CrossEntropyLoss(), nn.L1Loss()
weights = {"gender": 1.0, "age": 0.1}

x = torch.randn(256, 20)
gender = (x[:, 0] > 0).long()
age = 40 + 10 * x[:, 1]

for epoch in range(10):
    for i in range(0, 256, 32):
        logits, predicted_age = net(x[i : i + 32])
        losses = {"gender": ce(logits, gender[i : i + 32]), "age": l1(predicted_age, age[i : i + 32])}
        total = sum(weights[k] * v for k, v in losses.items())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    print(f"epoch {epoch}: total {total.item():.3f} | " + " | ".join(f"{k} {v.item():.3f}" for k, v in losses.items()))
