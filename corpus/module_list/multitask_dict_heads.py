import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


class MultiTaskNet(nn.Module):
    def __init__(self, in_dim=12, hidden=32):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU())
        self.heads = {
            "age": nn.Linear(hidden, 1),
            "gender": nn.Linear(hidden, 2),
        }

    def forward(self, x):
        h = self.backbone(x)
        return {name: head(h) for name, head in self.heads.items()}


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = optim.Adam(model.parameters(), lr=lr)

    def train_step(self, x, age, gender):
        self.optimizer.zero_grad()
        out = self.model(x)
        loss = F.mse_loss(out["age"].squeeze(1), age) + F.cross_entropy(out["gender"], gender)
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
x = torch.randn(128, 12)
age = torch.randn(128)
gender = torch.randint(0, 2, (128,))

trainer = Trainer(MultiTaskNet())
for step in range(6):
    print(f"step {step}: loss {trainer.train_step(x, age, gender):.4f}")
