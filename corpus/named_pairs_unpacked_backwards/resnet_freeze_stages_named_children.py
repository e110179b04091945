"""Detection-style backbone: freeze the stem and the first stage (frozen_stages=1), train the rest."""
import torch
import torch.nn as nn
import torch.optim as optim


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 2)
        self.layer1 = nn.Sequential(conv_bn(16, 16), conv_bn(16, 16))
        self.layer2 = nn.Sequential(conv_bn(16, 32, 2), conv_bn(32, 32))
        self.layer3 = nn.Sequential(conv_bn(32, 64, 2), conv_bn(64, 64))

    def forward(self, x):
        return self.layer3(self.layer2(self.layer1(self.stem(x))))


class Detector(nn.Module):
    def __init__(self, num_anchors=3, num_classes=4, frozen_stages=1):
        super().__init__()
        self.backbone = Backbone()
        self.cls_head = nn.Conv2d(64, num_anchors * num_classes, 1)
        self.box_head = nn.Conv2d(64, num_anchors * 4, 1)
        self.frozen_stages = frozen_stages
        self._freeze_stages()

    def _freeze_stages(self):
        frozen = ["stem"] + [f"layer{i}" for i in range(1, self.frozen_stages + 1)]
        for child, name in self.backbone.named_children():
            if name.startswith(tuple(frozen)):
                child.eval()
                for p in child.parameters():
                    p.requires_grad = False

    def forward(self, x):
        feats = self.backbone(x)
        return self.cls_head(feats), self.box_head(feats)


torch.manual_seed(7)
det = Detector()
optimizer = optim.SGD([p for p in det.parameters() if p.requires_grad], lr=0.01, momentum=0.9, weight_decay=1e-4)
imgs = torch.randn(6, 3, 32, 32)
cls_t = torch.randn(6, 12, 4, 4)
box_t = torch.randn(6, 12, 4, 4)
for epoch in range(4):
    cls_out, box_out = det(imgs)
    loss = nn.functional.mse_loss(cls_out, cls_t) + nn.functional.smooth_l1_loss(box_out, box_t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print("epoch", epoch, "loss", float(loss))
