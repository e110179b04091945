# Reproduces: https://github.com/Tramac/awesome-semantic-segmentation-pytorch/issues/215
# A DeepLabV3-style segmenter. The ASPP image-pooling branch reduces every image to a 1x1
# map and normalises it with BatchNorm2d. The training DataLoader keeps the last, short
# batch (drop_last defaults to False). The data set has 57 tiles and the batch size is 8,
# so the last batch holds one tile. The pooling branch's BatchNorm then sees one value per
# channel, and the first epoch ends with "ValueError: Expected more than 1 value per
# channel when training, got input size torch.Size([1, 32, 1, 1])".
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CFG = {
    "n_train": 57,
    "n_val": 16,
    "size": 32,
    "num_classes": 3,
    "batch_size": 8,
    "epochs": 3,
    "lr": 3e-3,
    "aspp_channels": 32,
    "rates": (2, 4),
    "seed": 0,
}

torch.manual_seed(CFG["seed"])
random.seed(CFG["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class BlobTiles(Dataset):
    """Synthetic aerial tiles: a background, a disc (class 1) and a bar (class 2)."""

    def __init__(self, n, size, seed):
        g = torch.Generator().manual_seed(seed)
        self.images, self.masks = [], []
        yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        for _ in range(n):
            mask = torch.zeros(size, size, dtype=torch.long)
            cy, cx = torch.randint(6, size - 6, (2,), generator=g).tolist()
            r = int(torch.randint(3, 7, (1,), generator=g))
            mask[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 1
            row = int(torch.randint(2, size - 4, (1,), generator=g))
            mask[row:row + 3, :] = 2
            img = torch.randn(3, size, size, generator=g) * 0.3
            img[0] += (mask == 1).float() * 1.5
            img[2] += (mask == 2).float() * 1.5
            self.images.append(img)
            self.masks.append(mask)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.masks[i]


def conv_bn(cin, cout, k=3, stride=1, dilation=1):
    pad = dilation * (k // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ASPP(nn.Module):
    def __init__(self, cin, cout, rates):
        super().__init__()
        self.branches = nn.ModuleList([conv_bn(cin, cout, k=1)])
        for r in rates:
            self.branches.append(conv_bn(cin, cout, dilation=r))
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(cin, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )
        self.project = conv_bn(cout * (len(rates) + 2), cout, k=1)

    def forward(self, x):
        h, w = x.shape[-2:]
        feats = [b(x) for b in self.branches]
        pooled = self.image_pool(x)
        feats.append(F.interpolate(pooled, size=(h, w), mode="bilinear", align_corners=False))
        return self.project(torch.cat(feats, dim=1))


class DeepLabLite(nn.Module):
    def __init__(self, num_classes, ch, rates):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn(3, 16, stride=2), conv_bn(16, 32), conv_bn(32, 48, stride=2))
        self.aspp = ASPP(48, ch, rates)
        self.head = nn.Conv2d(ch, num_classes, 1)

    def forward(self, x):
        size = x.shape[-2:]
        out = self.head(self.aspp(self.backbone(x)))
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


def mean_iou(logits, masks, n):
    pred = logits.argmax(1)
    ious = []
    for c in range(n):
        inter = ((pred == c) & (masks == c)).sum().item()
        union = ((pred == c) | (masks == c)).sum().item()
        if union:
            ious.append(inter / union)
    return sum(ious) / max(len(ious), 1)


train_set = BlobTiles(CFG["n_train"], CFG["size"], seed=1)
val_set = BlobTiles(CFG["n_val"], CFG["size"], seed=2)
train_loader = DataLoader(train_set, batch_size=CFG["batch_size"], shuffle=True,
                          generator=torch.Generator().manual_seed(CFG["seed"]))
val_loader = DataLoader(val_set, batch_size=CFG["batch_size"])

model = DeepLabLite(CFG["num_classes"], CFG["aspp_channels"], CFG["rates"]).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"], weight_decay=1e-4)
steps_per_epoch = math.ceil(len(train_set) / CFG["batch_size"])
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=CFG["lr"],
                                                total_steps=CFG["epochs"] * steps_per_epoch)
criterion = nn.CrossEntropyLoss()

for epoch in range(CFG["epochs"]):
    model.train()
    running = 0.0
    for step, (images, masks) in enumerate(train_loader):
        images, masks = images.to(device), masks.to(device)
        logits = model(images)
        loss = criterion(logits, masks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item()
    model.eval()
    with torch.no_grad():
        miou = sum(mean_iou(model(x.to(device)), y.to(device), CFG["num_classes"])
                   for x, y in val_loader) / len(val_loader)
    print(f"epoch {epoch + 1}: train loss {running / (step + 1):.4f}  val mIoU {miou:.3f}")
