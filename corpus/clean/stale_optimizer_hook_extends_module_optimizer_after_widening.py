"""An epoch hook widens the classifier for new classes and hands the new layer to the
module-level optimizer with ``add_param_group``; the optimizer keeps its momentum for the body."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class Net(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 24), nn.ReLU())
        self.classifier = nn.Linear(24, n_classes)

    def forward(self, x):
        return self.classifier(self.body(x))


model = Net(4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
n_classes = 4


def on_epoch_start(epoch):
    global n_classes
    if epoch == 2:
        old = model.classifier
        model.classifier = nn.Linear(old.in_features, 6)
        optimizer.add_param_group({"params": model.classifier.parameters()})
        n_classes = 6


x = torch.randn(80, 10)
for epoch in range(5):
    on_epoch_start(epoch)
    y = torch.randint(0, n_classes, (80,))
    for start in range(0, 80, 16):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[start:start + 16]), y[start:start + 16])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {n_classes} classes, loss {loss.item():.4f}")
