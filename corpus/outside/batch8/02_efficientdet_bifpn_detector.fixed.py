"""Tiny EfficientDet-style detector: conv backbone -> weighted BiFPN -> shared class/box heads.

Optimizer parameter groups follow the usual detection recipe: BN weights without decay,
conv/linear weights with decay, biases without decay.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = conv_bn(3, 16, 2)    # 16x16
        self.stage2 = conv_bn(16, 24, 2)   # 8x8
        self.stage3 = conv_bn(24, 32, 2)   # 4x4

    def forward(self, x):
        c1 = self.stage1(x)
        c2 = self.stage2(c1)
        c3 = self.stage3(c2)
        return c1, c2, c3


class BiFPN(nn.Module):
    def __init__(self, num_channels, conv_channels, epsilon=1e-4):
        super(BiFPN, self).__init__()
        self.epsilon = epsilon
        self.p1_down_channel = nn.Sequential(nn.Conv2d(conv_channels[0], num_channels, 1, bias=False), nn.BatchNorm2d(num_channels))
        self.p2_down_channel = nn.Sequential(nn.Conv2d(conv_channels[1], num_channels, 1, bias=False), nn.BatchNorm2d(num_channels))
        self.p3_down_channel = nn.Sequential(nn.Conv2d(conv_channels[2], num_channels, 1, bias=False), nn.BatchNorm2d(num_channels))
        self.conv2_up = conv_bn(num_channels, num_channels)
        self.conv1_up = conv_bn(num_channels, num_channels)
        self.conv2_down = conv_bn(num_channels, num_channels)
        self.conv3_down = conv_bn(num_channels, num_channels)
        # fast normalized fusion weights
        self.p2_w1 = nn.Parameter(torch.ones(2, dtype=torch.float32))
        self.p1_w1 = nn.Parameter(torch.ones(2, dtype=torch.float32))
        self.p2_w2 = nn.Parameter(torch.ones(3, dtype=torch.float32))
        self.p3_w2 = nn.Parameter(torch.ones(2, dtype=torch.float32))

    @staticmethod
    def _norm(w, eps):
        w = F.relu(w)
        return w / (torch.sum(w, dim=0) + eps)

    def forward(self, inputs):
        p1, p2, p3 = inputs
        p1_in = self.p1_down_channel(p1)
        p2_in = self.p2_down_channel(p2)
        p3_in = self.p3_down_channel(p3)
        # top-down
        w = self._norm(self.p2_w1, self.epsilon)
        p2_up = self.conv2_up(w[0] * p2_in + w[1] * F.interpolate(p3_in, scale_factor=2, mode="nearest"))
        w = self._norm(self.p1_w1, self.epsilon)
        p1_out = self.conv1_up(w[0] * p1_in + w[1] * F.interpolate(p2_up, scale_factor=2, mode="nearest"))
        # bottom-up
        w = self._norm(self.p2_w2, self.epsilon)
        p2_out = self.conv2_down(w[0] * p2_in + w[1] * p2_up + w[2] * F.max_pool2d(p1_out, 2))
        w = self._norm(self.p3_w2, self.epsilon)
        p3_out = self.conv3_down(w[0] * p3_in + w[1] * F.max_pool2d(p2_out, 2))
        return p1_out, p2_out, p3_out


class Head(nn.Module):
    def __init__(self, ch, num_out):
        super().__init__()
        self.conv = conv_bn(ch, ch)
        self.pred = nn.Conv2d(ch, num_out, 1)

    def forward(self, feats):
        return [self.pred(self.conv(f)).flatten(2) for f in feats]


class EfficientDetTiny(nn.Module):
    def __init__(self, num_classes=3, fpn_ch=32):
        super().__init__()
        self.backbone = Backbone()
        self.bifpn = BiFPN(fpn_ch, [16, 24, 32])
        self.classifier = Head(fpn_ch, num_classes)
        self.regressor = Head(fpn_ch, 4)

    def forward(self, x):
        feats = self.bifpn(self.backbone(x))
        cls = torch.cat(self.classifier(feats), dim=2)
        box = torch.cat(self.regressor(feats), dim=2)
        return cls, box


def synthetic_batch(bs=16, num_classes=3):
    imgs = torch.randn(bs, 3, 32, 32)
    n_anchor = 16 * 16 + 8 * 8 + 4 * 4
    cls_t = (torch.rand(bs, num_classes, n_anchor) > 0.9).float()
    box_t = torch.randn(bs, 4, n_anchor) * 0.1
    return imgs, cls_t, box_t


if __name__ == "__main__":
    model = EfficientDetTiny()
    hyp = {"lr0": 0.01, "momentum": 0.937, "weight_decay": 5e-4}

    pg0, pg1, pg2 = [], [], []  # optimizer parameter groups
    for k, v in model.named_modules():
        if hasattr(v, "bias") and isinstance(v.bias, nn.Parameter):
            pg2.append(v.bias)  # biases
        if isinstance(v, nn.BatchNorm2d):
            pg0.append(v.weight)  # no decay
        elif hasattr(v, "weight") and isinstance(v.weight, nn.Parameter):
            pg1.append(v.weight)  # apply decay
        if isinstance(v, BiFPN):
            pg0.extend([v.p2_w1, v.p1_w1, v.p2_w2, v.p3_w2])  # fusion weights, no decay

    optimizer = torch.optim.SGD(pg0, lr=hyp["lr0"], momentum=hyp["momentum"], nesterov=True)
    optimizer.add_param_group({"params": pg1, "weight_decay": hyp["weight_decay"]})
    optimizer.add_param_group({"params": pg2})
    print(f"Optimizer groups: {len(pg2)} .bias, {len(pg1)} conv.weight, {len(pg0)} other")

    for step in range(30):
        imgs, cls_t, box_t = synthetic_batch()
        cls_p, box_p = model(imgs)
        loss = F.binary_cross_entropy_with_logits(cls_p, cls_t) + F.smooth_l1_loss(box_p, box_t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step} loss {loss.item():.4f}")
