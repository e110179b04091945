"""Action recognition with a TSM-style 2D backbone + Temporal Pyramid Network neck (mmaction2
layout: Recognizer2D, TPN neck with an auxiliary head, TSMHead).  The config enables the
auxiliary head (aux_head_cfg) so that its loss is optimised together with the classification loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

model_cfg = dict(
    backbone=dict(in_channels=3, channels=(16, 32)),
    neck=dict(in_channels=(16, 32), out_channels=32, aux_head_cfg=dict(out_channels=5, loss_weight=0.5)),
    cls_head=dict(num_classes=5, in_channels=32),
    num_segments=4)
optimizer_cfg = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)


class TinyResNet(nn.Module):
    def __init__(self, in_channels, channels):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(in_channels, channels[0], 3, 2, 1), nn.BatchNorm2d(channels[0]), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Conv2d(channels[0], channels[1], 3, 2, 1), nn.BatchNorm2d(channels[1]), nn.ReLU())

    def forward(self, x):
        c1 = self.layer1(x)
        c2 = self.layer2(c1)
        return c1, c2


class AuxHead(nn.Module):
    def __init__(self, in_channels, out_channels, loss_weight=0.5):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, in_channels * 2, 3, 2, 1)
        self.fc = nn.Linear(in_channels * 2, out_channels)
        self.loss_weight = loss_weight

    def forward(self, x, target=None):
        x = F.adaptive_avg_pool2d(F.relu(self.conv(x)), 1).flatten(1)
        cls_score = self.fc(x)
        if target is None:
            return {}
        return {"loss_aux": self.loss_weight * F.cross_entropy(cls_score, target)}


class TPN(nn.Module):
    def __init__(self, in_channels, out_channels, aux_head_cfg=None, num_segments=4):
        super().__init__()
        self.num_segments = num_segments
        self.lateral = nn.ModuleList([nn.Conv2d(c, out_channels, 1) for c in in_channels])
        self.temporal_modulation = nn.Conv1d(out_channels, out_channels, 3, padding=1)
        self.aux_head = AuxHead(in_channels[-2], **aux_head_cfg) if aux_head_cfg is not None else None

    def forward(self, x, target=None):
        loss_aux = {}
        if self.aux_head is not None and target is not None:
            t = target.repeat_interleave(self.num_segments)
            loss_aux = self.aux_head(x[-2], t)
        feats = [lat(f) for lat, f in zip(self.lateral, x)]
        top = feats[-1] + F.adaptive_avg_pool2d(feats[-2], feats[-1].shape[-2:])
        n = top.size(0) // self.num_segments
        pooled = top.mean([2, 3]).view(n, self.num_segments, -1).transpose(1, 2)
        out = self.temporal_modulation(pooled).mean(-1)
        return out, loss_aux


class TSMHead(nn.Module):
    def __init__(self, num_classes, in_channels):
        super().__init__()
        self.fc_cls = nn.Linear(in_channels, num_classes)

    def forward(self, x):
        return self.fc_cls(x)

    def loss(self, cls_score, labels):
        return {"loss_cls": F.cross_entropy(cls_score, labels)}


class Recognizer2D(nn.Module):
    def __init__(self, backbone, neck, cls_head, num_segments):
        super().__init__()
        self.backbone = TinyResNet(**backbone)
        self.neck = TPN(**neck, num_segments=num_segments)
        self.cls_head = TSMHead(**cls_head)
        self.num_segments = num_segments

    def forward_train(self, imgs, labels):
        imgs = imgs.reshape((-1,) + imgs.shape[2:])
        losses = dict()
        x = self.backbone(imgs)
        x, loss_aux = self.neck(x, labels.squeeze())
        losses.update(loss_aux)
        cls_score = self.cls_head(x)
        loss_cls = self.cls_head.loss(cls_score, labels.squeeze())
        losses.update(loss_cls)
        return losses


def parse_losses(losses):
    log_vars = {k: v.mean() for k, v in losses.items()}
    loss = sum(v for k, v in log_vars.items() if "loss" in k)
    return loss, {k: v.item() for k, v in log_vars.items()}


torch.manual_seed(0)
model = Recognizer2D(**model_cfg).to(device)
optimizer = torch.optim.SGD(model.parameters(), **optimizer_cfg)
lr_config = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[6], gamma=0.1)

videos = torch.randn(16, model_cfg["num_segments"], 3, 32, 32)
labels = torch.randint(0, 5, (16, 1))
for it in range(8):
    idx = torch.randint(0, 16, (4,))
    losses = model.forward_train(videos[idx].to(device), labels[idx].to(device))
    loss, log_vars = parse_losses(losses)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    lr_config.step()
    if it % 4 == 0:
        print(it, log_vars)
