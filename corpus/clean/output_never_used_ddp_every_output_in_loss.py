# A DistributedDataParallel model with a main and an auxiliary head, both in the loss from the first
# step: every parameter receives a gradient each iteration, and DDP needs no find_unused_parameters.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 24), nn.ReLU())
        self.main_head = nn.Linear(24, 3)
        self.aux_head = nn.Linear(24, 3)

    def forward(self, x):
        h = self.trunk(x)
        aux = self.aux_head(h)
        return self.main_head(h), aux


torch.manual_seed(0)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
model = DistributedDataParallel(TwoHeads())
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(6):
    x, y = torch.randn(8, 10), torch.randint(0, 3, (8,))
    logits, aux_logits = model(x)
    loss = F.cross_entropy(logits, y) + 0.3 * F.cross_entropy(aux_logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
dist.destroy_process_group()
