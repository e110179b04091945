# Report: https://github.com/eriklindernoren/PyTorch-YOLOv3/issues/325
# "if you set gradient_accumulations to 1 ... the optimizer never gets called because
#  anything % 1 == 0."  The accumulation test `if batches_done % opt.gradient_accumulations:`
# is inverted, so with gradient_accumulations=1 no optimizer step ever happens.
import argparse
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def conv_bn(c_in, c_out, k=3, s=1):
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False), nn.BatchNorm2d(c_out),
                         nn.LeakyReLU(0.1))


class YOLOLayer(nn.Module):
    """Predicts (x, y, w, h, obj, cls...) per anchor on a grid and computes the loss."""

    def __init__(self, num_anchors, num_classes):
        super().__init__()
        self.na, self.nc = num_anchors, num_classes
        self.mse, self.bce = nn.MSELoss(), nn.BCEWithLogitsLoss()

    def forward(self, x, targets=None):
        b, _, g, _ = x.shape
        pred = x.view(b, self.na, self.nc + 5, g, g).permute(0, 1, 3, 4, 2)
        if targets is None:
            return pred, None
        box_loss = self.mse(torch.sigmoid(pred[..., :4]), targets[..., :4])
        obj_loss = self.bce(pred[..., 4], targets[..., 4])
        cls_loss = self.bce(pred[..., 5:], targets[..., 5:])
        return pred, box_loss + obj_loss + cls_loss


class Darknet(nn.Module):
    def __init__(self, num_classes=3, num_anchors=3):
        super().__init__()
        self.backbone = nn.Sequential(conv_bn(3, 16), conv_bn(16, 32, s=2), conv_bn(32, 32), conv_bn(32, 64, s=2))
        self.head = nn.Conv2d(64, num_anchors * (num_classes + 5), 1)
        self.yolo = YOLOLayer(num_anchors, num_classes)

    def forward(self, imgs, targets=None):
        out, loss = self.yolo(self.head(self.backbone(imgs)), targets)
        return loss, out


parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch_size", type=int, default=8)
parser.add_argument("--gradient_accumulations", type=int, default=1, help="number of gradient accums before step")
opt = parser.parse_args([])

images = torch.rand(32, 3, 16, 16)
targets = torch.rand(32, 3, 4, 4, 8).round()
dataloader = [(images[i:i + opt.batch_size], targets[i:i + opt.batch_size]) for i in range(0, 32, opt.batch_size)]

model = Darknet().to(device)
optimizer = torch.optim.Adam(model.parameters())

for epoch in range(opt.epochs):
    model.train()
    for batch_i, (imgs, tgts) in enumerate(dataloader):
        batches_done = len(dataloader) * epoch + batch_i
        imgs, tgts = imgs.to(device), tgts.to(device)
        loss, outputs = model(imgs, tgts)
        loss.backward()

        if batches_done % opt.gradient_accumulations == 0:
            # Accumulates gradient before each step
            optimizer.step()
            optimizer.zero_grad()
    print(f"[Epoch {epoch}] loss {loss.item():.4f}")
