"""Class-incremental training: after two epochs the data gains two classes, and an epoch hook
widens the classifier, copying the old rows. The optimizer was built at the top level for the
first head, and the training loop calls the hooks at the start of every epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
LR = 0.05
N_OLD, N_NEW = 4, 6


class Net(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 24), nn.ReLU())
        self.classifier = nn.Linear(24, n_classes)

    def forward(self, x):
        return self.classifier(self.body(x))


def widen_classifier(net, n_classes):
    old = net.classifier
    wider = nn.Linear(old.in_features, n_classes)
    with torch.no_grad():
        wider.weight[: old.out_features] = old.weight
        wider.bias[: old.out_features] = old.bias
    net.classifier = wider


model = Net(N_OLD)
optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
n_classes = N_OLD


def on_epoch_start(epoch):
    global optimizer
    global n_classes
    if epoch == 2:
        widen_classifier(model, N_NEW)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
        n_classes = N_NEW


hooks = [on_epoch_start]
x = torch.randn(80, 10)
for epoch in range(5):
    for hook in hooks:
        hook(epoch)
    y = torch.randint(0, n_classes, (80,))
    for start in range(0, 80, 16):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[start:start + 16]), y[start:start + 16])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {n_classes} classes, loss {loss.item():.4f}")
