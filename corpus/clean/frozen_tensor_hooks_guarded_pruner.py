"""Gradual magnitude pruning with gradient-mask hooks while the pretrained stem stays frozen: the
hooks are registered only on weights that require grad, and the mask list keeps a slot for each."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(22)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.body = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        h = F.relu(self.body(F.relu(self.stem(x))))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


class Pruner:
    def __init__(self, model):
        self.weights = [m.weight for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        self.masks = [torch.ones_like(w) for w in self.weights]
        self.hooks = []
        for index, weight in enumerate(self.weights):
            if weight.requires_grad:
                self.hooks.append(weight.register_hook(lambda g, index=index: g * self.masks[index]))
            else:
                self.hooks.append(None)

    @torch.no_grad()
    def step(self, sparsity):
        for index, weight in enumerate(self.weights):
            k = int(sparsity * weight.numel())
            if k:
                self.masks[index] = (weight.abs() > weight.abs().flatten().kthvalue(k).values).float()
                weight.mul_(self.masks[index])


model = Net()
model.stem.requires_grad_(False)
pruner = Pruner(model)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)
x = torch.randn(32, 3, 10, 10)
y = torch.randint(0, 3, (32,))
for epoch in range(3):
    pruner.step(0.2 * epoch)
    for i in range(0, 32, 8):
        loss = F.cross_entropy(model(x[i:i + 8]), y[i:i + 8])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
