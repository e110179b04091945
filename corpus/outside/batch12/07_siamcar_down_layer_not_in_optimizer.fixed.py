# Report: https://github.com/ohhhyeahhh/SiamCAR/issues/18
# ModelBuilder has an extra `self.down = nn.ConvTranspose2d(256 * 3, 256, 1, 1)` but the
# trainable_params list handed to the optimizer only holds backbone, neck and car_head.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {"BACKBONE": {"LAYERS_LR": 0.1}, "ADJUST": {"ADJUST": True},
       "TRAIN": {"BASE_LR": 0.005, "MOMENTUM": 0.9, "WEIGHT_DECAY": 1e-4, "EPOCHS": 3}}
C = 16  # stands for the 256 channels of the real model


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(3, C, 3, 2, 1), nn.BatchNorm2d(C), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Conv2d(C, C, 3, 1, 1), nn.BatchNorm2d(C), nn.ReLU())
        self.layer3 = nn.Sequential(nn.Conv2d(C, C, 3, 1, 1), nn.BatchNorm2d(C), nn.ReLU())

    def forward(self, x):
        f1 = self.layer1(x)
        f2 = self.layer2(f1)
        return [f1, f2, self.layer3(f2)]


class AdjustAllLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.downsample = nn.ModuleList(nn.Sequential(nn.Conv2d(C, C, 1, bias=False), nn.BatchNorm2d(C))
                                        for _ in range(3))

    def forward(self, feats):
        return [d(f) for d, f in zip(self.downsample, feats)]


def xcorr_depthwise(x, kernel):
    b, c = kernel.shape[:2]
    out = F.conv2d(x.reshape(1, b * c, *x.shape[2:]), kernel.reshape(b * c, 1, *kernel.shape[2:]), groups=b * c)
    return out.reshape(b, c, *out.shape[2:])


class CARHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.tower = nn.Sequential(nn.Conv2d(C, C, 3, 1, 1), nn.GroupNorm(4, C), nn.ReLU())
        self.cls_logits = nn.Conv2d(C, 2, 3, 1, 1)
        self.bbox_pred = nn.Conv2d(C, 4, 3, 1, 1)
        self.centerness = nn.Conv2d(C, 1, 3, 1, 1)

    def forward(self, x):
        t = self.tower(x)
        return self.cls_logits(t), torch.exp(self.bbox_pred(t)), self.centerness(t)


class ModelBuilder(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.neck = AdjustAllLayer()
        self.car_head = CARHead()
        self.down = nn.ConvTranspose2d(C * 3, C, 1, 1)

    def forward(self, template, search):
        zf = self.neck(self.backbone(template))
        xf = self.neck(self.backbone(search))
        features = torch.cat([xcorr_depthwise(x, z) for x, z in zip(xf, zf)], dim=1)
        return self.car_head(self.down(features))


def build_opt_lr(model):
    trainable_params = []
    trainable_params += [{"params": filter(lambda x: x.requires_grad, model.backbone.parameters()),
                          "lr": cfg["BACKBONE"]["LAYERS_LR"] * cfg["TRAIN"]["BASE_LR"]}]
    if cfg["ADJUST"]["ADJUST"]:
        trainable_params += [{"params": model.neck.parameters(), "lr": cfg["TRAIN"]["BASE_LR"]}]
    trainable_params += [{"params": model.car_head.parameters(), "lr": cfg["TRAIN"]["BASE_LR"]}]
    trainable_params += [{"params": model.down.parameters(), "lr": cfg["TRAIN"]["BASE_LR"]}]
    return torch.optim.SGD(trainable_params, momentum=cfg["TRAIN"]["MOMENTUM"],
                           weight_decay=cfg["TRAIN"]["WEIGHT_DECAY"])


model = ModelBuilder().to(device).train()
optimizer = build_opt_lr(model)
templates, searches = torch.randn(8, 3, 8, 8), torch.randn(8, 3, 16, 16)
label_cls = torch.randint(0, 2, (8, 5, 5))
label_loc = torch.rand(8, 4, 5, 5) + 0.5

for epoch in range(cfg["TRAIN"]["EPOCHS"]):
    for i in range(0, 8, 4):
        cls, loc, cen = model(templates[i:i + 4].to(device), searches[i:i + 4].to(device))
        cls_loss = F.cross_entropy(cls, label_cls[i:i + 4].to(device))
        loc_loss = F.l1_loss(loc, label_loc[i:i + 4].to(device))
        cen_loss = F.binary_cross_entropy_with_logits(cen.squeeze(1), label_cls[i:i + 4].float().to(device))
        loss = cls_loss + 3.0 * loc_loss + cen_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
