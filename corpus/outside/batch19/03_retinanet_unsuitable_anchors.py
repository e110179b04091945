# Single-level RetinaNet-style detector for thin scratch defects on synthetic 64x64 images.
#
# Reproduces: https://github.com/zylo117/Yet-Another-EfficientDet-Pytorch/issues/360
# ("regression_losses always 0": Cls loss goes down, "Reg loss: 0.00000" from the first step)
#
# Fault (in my words): the anchor generator uses the default COCO-style aspect ratios
# (1:1, 1.4:0.7, 0.7:1.4), but every object in this data set is a long thin scratch (about
# 40x6 pixels). No anchor ever reaches the 0.5 IoU needed to be a positive, so the focal
# loss only sees background anchors and the box-regression loss takes its "no positives"
# branch, a constant torch.tensor(0.). The loss and the log look healthy, but the
# regression head never receives a gradient and keeps its initial weights for the whole run.
import argparse
import itertools
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "image_size": 64,
    "stride": 8,
    "anchor_scale": 2.0,  # base anchor = anchor_scale * stride
    "anchor_scales": [2 ** 0, 2 ** (1.0 / 3.0), 2 ** (2.0 / 3.0)],
    "anchor_ratios": [(1.0, 1.0), (1.4, 0.7), (0.7, 1.4)],
    "num_classes": 2,  # horizontal / vertical scratch
    "train_images": 192,
    "batch_size": 16,
    "lr": 1e-3,
    "epochs": 5,
}


def make_anchors(cfg):
    s, n = cfg["stride"], cfg["image_size"] // cfg["stride"]
    base = cfg["anchor_scale"] * s
    boxes = []
    for iy, ix in itertools.product(range(n), range(n)):
        cx, cy = ix * s + s / 2, iy * s + s / 2
        for scale, (rx, ry) in itertools.product(cfg["anchor_scales"], cfg["anchor_ratios"]):
            w, h = base * scale * rx, base * scale * ry
            boxes.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return torch.tensor(boxes)


def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


class ScratchDataset(Dataset):
    def __init__(self, n, size, seed):
        g = torch.Generator().manual_seed(seed)
        self.items = []
        centers = [20, 28, 36, 44]
        for _ in range(n):
            img = 0.1 * torch.randn(1, size, size, generator=g)
            boxes, labels = [], []
            for _k in range(int(torch.randint(1, 3, (1,), generator=g))):
                vertical = bool(torch.randint(0, 2, (1,), generator=g))
                cx = centers[int(torch.randint(0, 4, (1,), generator=g))] + float(torch.randint(-1, 2, (1,), generator=g))
                cy = centers[int(torch.randint(0, 4, (1,), generator=g))] + float(torch.randint(-1, 2, (1,), generator=g))
                w, h = (6.0, 40.0) if vertical else (40.0, 6.0)
                x0, y0, x1, y1 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
                img[:, int(y0):int(y1), int(x0):int(x1)] += 1.0
                boxes.append([x0, y0, x1, y1])
                labels.append(int(vertical))
            self.items.append((img, torch.tensor(boxes), torch.tensor(labels)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    return torch.stack([b[0] for b in batch]), [b[1] for b in batch], [b[2] for b in batch]


def head(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, 32, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, out_ch, 3, padding=1))


class TinyRetinaNet(nn.Module):
    def __init__(self, num_anchors, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU())
        self.cls_head = head(64, num_anchors * num_classes)
        self.reg_head = head(64, num_anchors * 4)
        nn.init.constant_(self.cls_head[-1].bias, -4.6)  # prior 0.01

    def forward(self, x):
        f = self.backbone(x)
        b = x.size(0)
        cls = self.cls_head(f).permute(0, 2, 3, 1).reshape(b, -1, self.num_classes)
        reg = self.reg_head(f).permute(0, 2, 3, 1).reshape(b, -1, 4)
        return cls, reg


def encode(anchors, gt):
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + aw / 2, anchors[:, 1] + ah / 2
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + gw / 2, gt[:, 1] + gh / 2
    return torch.stack([(gx - ax) / aw, (gy - ay) / ah, torch.log(gw / aw), torch.log(gh / ah)], 1)


def focal_loss(cls_out, reg_out, anchors, gt_boxes, gt_labels, alpha=0.25, gamma=2.0):
    cls_losses, reg_losses = [], []
    for cls, reg, boxes, labels in zip(cls_out, reg_out, gt_boxes, gt_labels):
        iou = box_iou(anchors, boxes)
        iou_max, iou_arg = iou.max(dim=1)
        targets = torch.full_like(cls, -1.0)
        targets[iou_max < 0.4] = 0.0
        positive = iou_max >= 0.5
        num_pos = int(positive.sum())
        targets[positive] = 0.0
        targets[positive, labels[iou_arg[positive]]] = 1.0
        p = torch.sigmoid(cls)
        a = torch.where(targets == 1.0, alpha, 1.0 - alpha)
        w = torch.where(targets == 1.0, 1.0 - p, p).pow(gamma) * a
        bce = F.binary_cross_entropy_with_logits(cls, targets.clamp(min=0), reduction="none")
        cls_loss = torch.where(targets != -1.0, w * bce, torch.zeros_like(bce))
        cls_losses.append(cls_loss.sum() / max(num_pos, 1))
        if num_pos > 0:
            t = encode(anchors[positive], boxes[iou_arg[positive]])
            reg_losses.append(F.smooth_l1_loss(reg[positive], t, beta=1.0 / 9.0))
        else:
            reg_losses.append(torch.tensor(0.0, device=cls.device))
    return torch.stack(cls_losses).mean(), torch.stack(reg_losses).mean()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

anchors = make_anchors(CONFIG).to(device)
num_anchors = len(CONFIG["anchor_scales"]) * len(CONFIG["anchor_ratios"])
train_loader = DataLoader(ScratchDataset(CONFIG["train_images"], CONFIG["image_size"], seed=1),
                          batch_size=CONFIG["batch_size"], shuffle=True, collate_fn=collate)
model = TinyRetinaNet(num_anchors, CONFIG["num_classes"]).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * len(train_loader))
print(f"{anchors.size(0)} anchors, {sum(p.numel() for p in model.parameters())} parameters")

step = 0
for epoch in range(args.epochs):
    model.train()
    t0 = time.time()
    for imgs, boxes, labels in train_loader:
        imgs = imgs.to(device)
        boxes = [b.to(device) for b in boxes]
        labels = [l.to(device) for l in labels]
        cls_out, reg_out = model(imgs)
        cls_loss, reg_loss = focal_loss(cls_out, reg_out, anchors, boxes, labels)
        loss = cls_loss + reg_loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        scheduler.step()
        step += 1
        if step % 12 == 0:
            print(f"Step: {step}. Epoch: {epoch}/{args.epochs}. Cls loss: {cls_loss.item():.5f}. "
                  f"Reg loss: {reg_loss.item():.5f}. Total loss: {loss.item():.5f}")
    print(f"epoch {epoch} done in {time.time() - t0:.1f}s")
