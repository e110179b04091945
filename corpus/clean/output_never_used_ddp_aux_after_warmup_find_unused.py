# A DistributedDataParallel model whose auxiliary classifier joins the loss after a warm-up. The
# wrapper is built with find_unused_parameters=True, so the warm-up iterations, which leave the
# auxiliary output out of the loss, run; the head trains once the warm-up ends.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

WARMUP_ITERS = 3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CamNet(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.classifier = nn.Conv2d(8, classes, 1, bias=False)
        self.aux_classifier = nn.Conv2d(8, classes, 1, bias=False)

    def forward(self, x):
        f = self.encoder(x)
        cls = F.adaptive_avg_pool2d(self.classifier(f), 1).flatten(1)
        aux = F.adaptive_avg_pool2d(self.aux_classifier(f), 1).flatten(1)
        return cls, aux


torch.manual_seed(0)
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
model = DistributedDataParallel(CamNet(), find_unused_parameters=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for n_iter in range(8):
    img = torch.randn(2, 3, 8, 8)
    labels = torch.randint(0, 2, (2, 4)).float()
    cls, aux = model(img)
    loss = F.multilabel_soft_margin_loss(cls, labels)
    if n_iter >= WARMUP_ITERS:
        loss = loss + F.multilabel_soft_margin_loss(aux, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
dist.destroy_process_group()
