# A U-Net-like segmenter with a deep-supervision side output that joins the loss only from a later
# epoch on. DistributedDataParallel is built without find_unused_parameters, so the second
# iteration of the first epoch stops: "Expected to have finished reduction in the prior iteration".
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

torch.manual_seed(0)
DEEP_SUPERVISION_FROM_EPOCH = 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Segmenter(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())
        self.side = nn.Conv2d(8, classes, 1)
        self.out = nn.Conv2d(8, classes, 1)

    def forward(self, x):
        low = self.down(x)
        side = F.interpolate(self.side(low), scale_factor=2)
        return self.out(self.up(low)), side


dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
net = DDP(
    Segmenter(),
    broadcast_buffers=False,
    find_unused_parameters=True,
)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(3):
    for _ in range(4):
        image = torch.randn(2, 1, 16, 16)
        mask = torch.randint(0, 3, (2, 16, 16))
        logits, side_logits = net(image)
        loss = F.cross_entropy(logits, mask)
        if epoch >= DEEP_SUPERVISION_FROM_EPOCH:
            loss = loss + 0.4 * F.cross_entropy(side_logits, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
dist.destroy_process_group()
