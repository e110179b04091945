"""A module keeps its own `trainable` bookkeeping flag for logging, and the parameters are
released alongside it: the flag is an ordinary attribute, the unfreeze happens on the tensors."""
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.trainable = False

    def forward(self, x):
        return torch.relu(self.fc(x)) + x


def set_trainable(block, flag):
    block.trainable = flag
    for p in block.parameters():
        p.requires_grad = flag


torch.manual_seed(2)
blocks = nn.ModuleList([Block(20) for _ in range(3)])
readout = nn.Linear(20, 1)
for b in blocks:
    set_trainable(b, False)
params = list(blocks.parameters()) + list(readout.parameters())
opt = torch.optim.SGD(params, lr=0.01)
x, y = torch.randn(50, 20), torch.randn(50, 1)

for step in range(5):
    if step == 1:
        for b in blocks:
            set_trainable(b, True)
    h = x
    for b in blocks:
        h = b(h)
    loss = ((readout(h) - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, [b.trainable for b in blocks], loss.item())
