# Reproduction modelled on: https://github.com/open-mmlab/OpenPCDet/issues/960
# FIXED VERSION: box_scale is wrapped in a leaf nn.Module (Scale) so the leaf-module flattening of adam_onecycle includes it.
# "Optimizer neglection when using nn.Parameter and 'adam_onecycle'": the adam_onecycle
# branch of build_optimizer flattens the model into its *leaf* modules and builds the
# optimizer from their parameters, so an nn.Parameter that sits directly on a module that
# also has children (here DenseHead.box_scale) never reaches the optimizer.
from functools import partial

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

OPTIM_CFG = dict(OPTIMIZER="adam_onecycle", LR=3e-3, WEIGHT_DECAY=0.01, MOMS=(0.95, 0.85),
                 DIV_FACTOR=10, PCT_START=0.4)
MODEL_CFG = dict(NUM_POINT_FEATURES=4, VFE_FILTERS=32, BEV_CHANNELS=32, NUM_CLASSES=3, BOX_CODE_SIZE=7)


class PillarVFE(nn.Module):
    def __init__(self, in_ch, out_ch):
        super().__init__()
        self.linear = nn.Linear(in_ch, out_ch, bias=False)
        self.norm = nn.LayerNorm(out_ch)

    def forward(self, points):                       # (B, P, N, C)
        x = F.relu(self.norm(self.linear(points)))
        return x.max(dim=2)[0]                       # (B, P, C)


class BEVBackbone(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.blocks = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(ch, ch, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.blocks(x)


class Scale(nn.Module):
    """Leaf wrapper so that flatten_model() finds the parameter."""

    def __init__(self, code_size):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, code_size, 1, 1))

    def forward(self):
        return self.scale


class AnchorHeadSingle(nn.Module):
    """Dense head; box_scale is a learnable per-code scaling of the regression output."""

    def __init__(self, ch, num_classes, code_size):
        super().__init__()
        self.conv_cls = nn.Conv2d(ch, num_classes, 1)
        self.conv_box = nn.Conv2d(ch, code_size, 1)
        self.box_scale = Scale(code_size)

    def forward(self, x):
        return self.conv_cls(x), self.conv_box(x) * self.box_scale()


class PointPillar(nn.Module):
    def __init__(self, cfg, grid=8):
        super().__init__()
        self.grid = grid
        self.vfe = PillarVFE(cfg["NUM_POINT_FEATURES"], cfg["VFE_FILTERS"])
        self.backbone_2d = BEVBackbone(cfg["BEV_CHANNELS"])
        self.dense_head = AnchorHeadSingle(cfg["BEV_CHANNELS"], cfg["NUM_CLASSES"], cfg["BOX_CODE_SIZE"])

    def forward(self, batch):
        pillar = self.vfe(batch["points"])                          # (B, G*G, C)
        B, P, C = pillar.shape
        bev = pillar.transpose(1, 2).reshape(B, C, self.grid, self.grid)
        return self.dense_head(self.backbone_2d(bev))


# ---- tools/train_utils/optimization (fastai-style wrapper, simplified) -------------------
class OptimWrapper:
    def __init__(self, opt, wd, true_wd=True):
        self.opt, self.wd, self.true_wd = opt, wd, true_wd

    @classmethod
    def create(cls, opt_func, lr, layer_groups, wd=0.0, true_wd=True, bn_wd=True):
        groups = [{"params": [p for m in lg for p in m.parameters()], "lr": lr} for lg in layer_groups]
        return cls(opt_func(groups), wd, true_wd)

    def step(self):
        for pg in self.opt.param_groups:
            for p in pg["params"]:
                p.data.mul_(1 - self.wd * pg["lr"])
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()

    @property
    def param_groups(self):
        return self.opt.param_groups


def build_optimizer(model, optim_cfg):
    if optim_cfg["OPTIMIZER"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=optim_cfg["LR"], weight_decay=optim_cfg["WEIGHT_DECAY"])
    elif optim_cfg["OPTIMIZER"] == "adam_onecycle":
        def children(m):
            return list(m.children())

        def num_children(m):
            return len(children(m))

        flatten_model = lambda m: sum(map(flatten_model, m.children()), []) if num_children(m) else [m]
        get_layer_groups = lambda m: [nn.Sequential(*flatten_model(m))]
        optimizer_func = partial(torch.optim.Adam, betas=(0.9, 0.99))
        return OptimWrapper.create(optimizer_func, 3e-3, get_layer_groups(model),
                                   wd=optim_cfg["WEIGHT_DECAY"], true_wd=True, bn_wd=True)
    raise NotImplementedError


def one_cycle_lr(step, total, cfg):
    lr_max, lr_min = cfg["LR"], cfg["LR"] / cfg["DIV_FACTOR"]
    up = int(total * cfg["PCT_START"])
    if step < up:
        return lr_min + (lr_max - lr_min) * step / max(up, 1)
    return lr_max - (lr_max - lr_min) * (step - up) / max(total - up, 1)


def make_batch(bs=4, grid=8, npts=6):
    points = torch.randn(bs, grid * grid, npts, 4)
    cls_t = torch.randint(0, 3, (bs, grid, grid))
    box_t = torch.randn(bs, 7, grid, grid) * 2.0
    return {"points": points.to(device), "cls": cls_t.to(device), "box": box_t.to(device)}


def train_model(model, optimizer, total_iters=30):
    model.train()
    for it in range(total_iters):
        for pg in optimizer.param_groups:
            pg["lr"] = one_cycle_lr(it, total_iters, OPTIM_CFG)
        batch = make_batch()
        cls_pred, box_pred = model(batch)
        loss = F.cross_entropy(cls_pred, batch["cls"]) + F.smooth_l1_loss(box_pred, batch["box"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it % 10 == 0:
            print(f"iter {it:3d} loss {loss.item():.4f}")


model = PointPillar(MODEL_CFG).to(device)
optimizer = build_optimizer(model, OPTIM_CFG)
train_model(model, optimizer)
print("box_scale after training:", model.dense_head.box_scale().flatten().tolist())
