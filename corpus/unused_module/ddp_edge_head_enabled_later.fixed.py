# A segmenter whose edge head runs only once a later epoch switches it on. DistributedDataParallel is
# built without find_unused_parameters, so in the first epoch, where the head does not run, DDP
# stops the second iteration: "Expected to have finished reduction in the prior iteration".
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


class EdgeAwareSegmenter(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.mask_head = nn.Conv2d(8, classes, 1)
        self.edge_head = nn.Conv2d(8, 1, 1)
        self.with_edges = False

    def enable_edges(self):
        self.with_edges = True

    def forward(self, x):
        h = self.body(x)
        edges = self.edge_head(h) if self.with_edges else None
        return self.mask_head(h), edges


torch.manual_seed(0)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
model = DistributedDataParallel(EdgeAwareSegmenter(), broadcast_buffers=False, find_unused_parameters=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for epoch in range(3):
    if epoch == 1:
        model.module.enable_edges()
    for _ in range(3):
        image = torch.randn(2, 3, 8, 8)
        mask = torch.randint(0, 3, (2, 8, 8))
        logits, edges = model(image)
        loss = F.cross_entropy(logits, mask)
        if edges is not None:
            loss = loss + F.binary_cross_entropy_with_logits(edges, (mask > 0).float().unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
dist.destroy_process_group()
