# Structured pruning of an MLP classifier: each hidden layer's output is multiplied by its own
# channel mask through a forward hook, registered layer by layer.
import torch
import torch.nn as nn
import torch.nn.functional as F


def channel_masks(widths, keep=0.75, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [(torch.rand(w, generator=gen) < keep).float() for w in widths]


def prune(model, masks):
    hidden = [m for m in model if isinstance(m, nn.Linear)][:-1]
    handles = []
    for layer, mask in zip(hidden, masks):
        handles.append(layer.register_forward_hook(lambda module, inputs, output: output * mask))
    return handles


model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))
handles = prune(model, channel_masks([64, 32]))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

torch.manual_seed(0)
data = torch.randn(512, 20)
labels = (data[:, :4].argmax(1))
for epoch in range(10):
    for xb, yb in zip(data.split(64), labels.split(64)):
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
