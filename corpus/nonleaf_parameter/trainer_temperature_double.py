import torch as T
import torch.nn as nn
import torch.nn.functional as F


class Trainer:
    def __init__(self, in_dim=6, classes=3, lr=1e-2):
        self.model = nn.Sequential(
            nn.Linear(in_dim, 16),
            nn.Tanh(),
            nn.Linear(16, classes),
        ).double()
        # learnable softmax temperature, kept in float64 like the model
        self.log_temp = T.zeros(1, requires_grad=True).double()
        self.optimizer = T.optim.Adam(list(self.model.parameters()) + [self.log_temp], lr=lr)

    def step(self, x, y):
        self.optimizer.zero_grad()
        logits = self.model(x) / self.log_temp.exp()
        loss = F.cross_entropy(logits, y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


T.manual_seed(0)
x = T.randn(96, 6, dtype=T.float64)
y = T.randint(0, 3, (96,))

trainer = Trainer()
for it in range(6):
    print(f"iter {it}: loss {trainer.step(x, y):.4f}")
print("temperature:", trainer.log_temp.exp().item())
