# Correct: gradual unfreezing (ULMFiT style). Every layer starts frozen but the last; each epoch
# unfreezes one more layer from the top. The optimizer holds everything from the start.
import torch
import torch.nn as nn

torch.manual_seed(0)
layers = nn.ModuleList([nn.Linear(12, 12) for _ in range(3)] + [nn.Linear(12, 2)])


def run(x):
    for layer in layers[:-1]:
        x = torch.relu(layer(x))
    return layers[-1](x)


for layer in layers[:-1]:
    layer.requires_grad_(False)
optimizer = torch.optim.SGD(layers.parameters(), lr=0.05)
x, y = torch.randn(48, 12), torch.randint(0, 2, (48,))
for epoch in range(4):
    if epoch > 0:
        layers[len(layers) - 1 - epoch].requires_grad_(True)
    for i in range(0, 48, 16):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(run(x[i : i + 16]), y[i : i + 16])
        loss.backward()
        optimizer.step()
