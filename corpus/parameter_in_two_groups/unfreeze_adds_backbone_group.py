"""Two-stage fine-tuning: train the head on a frozen backbone, then unfreeze the backbone and add
it to the optimizer with a smaller learning rate."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.head = nn.Linear(64, 5)

    def forward(self, x):
        return self.head(self.backbone(x))


net = Net()
for p in net.backbone.parameters():
    p.requires_grad = False

optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(64, 20)
y = torch.randint(0, 5, (64,))


def run_epoch():
    for i in range(0, 64, 16):
        optimizer.zero_grad()
        loss = loss_fn(net(x[i : i + 16]), y[i : i + 16])
        loss.backward()
        optimizer.step()
    return loss.item()


for epoch in range(2):
    print("head only", epoch, run_epoch())

for p in net.backbone.parameters():
    p.requires_grad = True
optimizer.add_param_group({"params": net.backbone.parameters(), "lr": 0.01})

for epoch in range(2):
    print("all layers", epoch, run_epoch())
