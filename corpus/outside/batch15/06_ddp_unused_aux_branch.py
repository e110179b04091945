# Report: https://github.com/Wu0409/DuPL/issues/1
# DuPL trains with DistributedDataParallel even on a single GPU. The segmentation model owns
# an auxiliary classifier branch whose output is not part of the loss in the first stage;
# DDP (find_unused_parameters=False) then fails on the next iteration with
# "Expected to have finished reduction in the prior iteration before starting a new one".
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {"num_classes": 4, "iters": 6, "lr": 1e-2, "cam_warmup_iters": 100, "batch": 4}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU())

    def forward(self, x):
        return self.stem(x)


class DualNet(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.encoder = Backbone()
        self.classifier = nn.Conv2d(32, num_classes, 1, bias=False)   # CAM head
        self.aux_classifier = nn.Conv2d(32, num_classes, 1, bias=False)  # used after warm-up
        self.seg_head = nn.Conv2d(32, num_classes, 1)

    def forward(self, x):
        f = self.encoder(x)
        cls = F.adaptive_avg_pool2d(self.classifier(f), 1).flatten(1)
        aux = F.adaptive_avg_pool2d(self.aux_classifier(f), 1).flatten(1)
        seg = self.seg_head(f)
        return cls, aux, seg


def train(rank=0, world_size=1):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}",
                            rank=rank, world_size=world_size)
    model = DualNet(cfg["num_classes"]).to(device)
    model = DistributedDataParallel(model, find_unused_parameters=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
    try:
        for n_iter in range(cfg["iters"]):
            img = torch.randn(cfg["batch"], 3, 16, 16, device=device)
            cls_label = torch.randint(0, 2, (cfg["batch"], cfg["num_classes"]), device=device).float()
            seg_label = torch.randint(0, cfg["num_classes"], (cfg["batch"], 8, 8), device=device)
            cls, aux, seg = model(img)
            cls_loss = F.multilabel_soft_margin_loss(cls, cls_label)
            seg_loss = F.cross_entropy(seg, seg_label)
            if n_iter >= cfg["cam_warmup_iters"]:
                loss = cls_loss + seg_loss + F.multilabel_soft_margin_loss(aux, cls_label)
            else:
                loss = cls_loss + seg_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            print(n_iter, loss.item())
    finally:
        dist.destroy_process_group()
    return model


model = train()
