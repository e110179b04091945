"""Class-incremental learning: after the first task, `add_classes` widens the output layer (the old
rows copied over) and training goes on with the optimizer and the MultiStepLR schedule of task one."""
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import MultiStepLR


class Backbone(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.fc(self.features(x))


class FineTuner:
    def __init__(self, model, lr=0.05, milestones=(4,)):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = MultiStepLR(self.optimizer, milestones=list(milestones), gamma=0.2)

    def fit(self, x, y, epochs):
        for epoch in range(epochs):
            self.optimizer.zero_grad()
            loss = nn.functional.cross_entropy(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
        return loss.item()

    def add_classes(self, n_new):
        old = self.model.fc
        wider = nn.Linear(old.in_features, old.out_features + n_new)
        with torch.no_grad():
            wider.weight[: old.out_features] = old.weight
            wider.bias[: old.out_features] = old.bias
        self.model.fc = wider
        self.optimizer.add_param_group({"params": self.model.fc.parameters()})


torch.manual_seed(5)
x_a, y_a = torch.randn(64, 16), torch.randint(0, 3, (64,))
x_b, y_b = torch.randn(64, 16), torch.randint(3, 5, (64,))

tuner = FineTuner(Backbone(n_classes=3))
print("task A:", tuner.fit(x_a, y_a, epochs=6))
tuner.add_classes(2)
print("task B:", tuner.fit(torch.cat([x_a, x_b]), torch.cat([y_a, y_b]), epochs=6))
