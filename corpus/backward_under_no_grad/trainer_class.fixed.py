import torch
import torch.nn as nn
from torch import no_grad


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 16), nn.ReLU())
        self.head = nn.Linear(16, 1)

    def forward(self, x):
        return self.head(self.body(x))


class Trainer:
    def __init__(self, model, lr=0.01):
        self.model = model
        self.optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)
        self.loss_fn = nn.MSELoss()

    def train_step(self, x, y):
        self.model.train()
        out = self.model(x)
        loss = self.loss_fn(out, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def evaluate(self, x, y):
        self.model.eval()
        with no_grad():
            out = self.model(x)
            return self.loss_fn(out, y).item()


torch.manual_seed(0)
x_train, y_train = torch.randn(80, 4), torch.randn(80, 1)
x_val, y_val = torch.randn(20, 4), torch.randn(20, 1)

trainer = Trainer(Regressor())
for epoch in range(4):
    train_loss = trainer.train_step(x_train, y_train)
    val_loss = trainer.evaluate(x_val, y_val)
    print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f}")
