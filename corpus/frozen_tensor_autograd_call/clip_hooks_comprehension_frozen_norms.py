"""Per-element gradient clipping through hooks while fine-tuning a CNN with frozen batch norms
(their affine parameters and statistics stay as pretrained); the hooks are removed before export."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)


class SmallResNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(h + self.bn2(self.conv2(h)))
        return self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))


def freeze_batchnorm(model):
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()
            module.weight.requires_grad = False
            module.bias.requires_grad = False


def add_clipping(model, limit):
    return [p.register_hook(lambda g: g.clamp(-limit, limit)) for p in model.parameters()]


model = SmallResNet()
freeze_batchnorm(model)
handles = add_clipping(model, 0.05)
optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05)

x = torch.randn(40, 3, 12, 12)
y = (x.mean((1, 2, 3)) > 0).long() + 2 * (x[:, 0].mean((1, 2)) > 0).long()
for epoch in range(3):
    for i in range(0, 40, 8):
        loss = F.cross_entropy(model(x[i:i + 8]), y[i:i + 8])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")

for handle in handles:
    handle.remove()
exported = {name: value.clone() for name, value in model.state_dict().items()}
print(f"exported {len(exported)} tensors")
