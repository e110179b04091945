# Pure float16 training on purpose, one model per fold built inside a function and cast with
# model = model.half(): plain SGD, no autocast, no GradScaler, a learning rate large enough for
# float16 steps. Nothing refuses float16 gradients and the weights train. Correct code.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(8, 16)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.5)


def train_folds(folds):
    x = torch.randn(96, 8).half()
    y = (x[:, 0] > 0).long()
    models = []
    for fold in range(folds):
        model = Scorer()
        model = model.half()
        optimizer = model.configure_optimizers()
        for step in range(5):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x).float(), y)
            loss.backward()
            optimizer.step()
        print(fold, loss.item())
        models.append(model)
    return models


train_folds(2)
