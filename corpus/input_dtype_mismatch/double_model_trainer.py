import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(6, 24)
        self.out = nn.Linear(24, 3)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        logits = self.model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
# run the model in double precision for a numerically sensitive experiment
model = Net().double()
trainer = Trainer(model)

x = torch.randn(64, 6)
y = torch.randint(0, 3, (64,))
for epoch in range(6):
    loss = trainer.train_step(x, y)
    print(f"epoch {epoch} loss {loss:.5f}")
