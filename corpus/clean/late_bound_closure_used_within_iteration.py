# Data-dependent initialisation (LSUV-style) before training: each layer's forward hook reads the
# loop's variables, but it runs and is removed within its own iteration, so the values it reads
# are that iteration's. A closure called at once in the loop reads them at once as well.
import torch
import torch.nn as nn


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 16, 3, padding=1), nn.Conv2d(16, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)])
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        for conv in self.convs:
            x = torch.relu(conv(x))
        return self.fc(x.mean((2, 3)))


@torch.no_grad()
def lsuv_init(model, batch, target_std=1.0):
    stats = {}
    for index, conv in enumerate(model.convs):
        handle = conv.register_forward_hook(lambda module, inputs, output: stats.__setitem__(index, output.std().item()))
        model(batch)
        handle.remove()
        rescale = lambda w: w * (target_std / max(stats[index], 1e-6))
        conv.weight.copy_(rescale(conv.weight))
    return stats


torch.manual_seed(0)
model = ConvNet()
images, labels = torch.randn(64, 3, 8, 8), torch.randint(0, 5, (64,))
print(lsuv_init(model, images[:16]))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(20):
    loss = nn.functional.cross_entropy(model(images), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
