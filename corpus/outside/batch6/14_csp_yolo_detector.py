import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

IMG, GRID, N_CLS = 32, 8, 2
ACTIVATIONS = {"leaky": lambda: nn.LeakyReLU(0.1), "relu": lambda: nn.ReLU(), "silu": lambda: nn.SiLU()}


class Convolutional(nn.Module):
    def __init__(self, c_in, c_out, k, stride=1, activate="leaky"):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = ACTIVATIONS[activate]()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class CSPBlock(nn.Module):
    def __init__(self, c, hidden=None, activate="leaky"):
        super().__init__()
        hidden = hidden or c
        self.block = nn.Sequential(Convolutional(c, hidden, 1, activate=activate),
                                   Convolutional(hidden, c, 3, activate=activate))

    def forward(self, x):
        residual = x
        out = self.block(x)
        out += residual
        return out


class TinyCSPDarknet(nn.Module):
    def __init__(self, activate="leaky"):
        super().__init__()
        self.stem = Convolutional(3, 16, 3, activate=activate)
        self.down1 = Convolutional(16, 32, 3, stride=2, activate=activate)
        self.res1 = CSPBlock(32, 16, activate=activate)
        self.down2 = Convolutional(32, 64, 3, stride=2, activate=activate)
        self.res2 = CSPBlock(64, 32, activate=activate)

    def forward(self, x):
        return self.res2(self.down2(self.res1(self.down1(self.stem(x)))))


class YOLOHead(nn.Module):
    """Per grid cell: objectness, box (tx, ty, tw, th) and class logits."""

    def __init__(self, c_in=64, n_cls=N_CLS):
        super().__init__()
        self.pred = nn.Conv2d(c_in, 5 + n_cls, 1)

    def forward(self, x):
        return self.pred(x).permute(0, 2, 3, 1)          # (B, G, G, 5 + C)


def make_batch(n):
    """One axis-aligned box per image; class 0 = red box, class 1 = green box."""
    img = 0.1 * torch.randn(n, 3, IMG, IMG)
    target = torch.zeros(n, GRID, GRID, 5 + 1)
    for i in range(n):
        w, h = torch.randint(6, 14, (2,)).tolist()
        x0, y0 = torch.randint(0, IMG - w, (1,)).item(), torch.randint(0, IMG - h, (1,)).item()
        cls = torch.randint(0, N_CLS, (1,)).item()
        img[i, cls, y0:y0 + h, x0:x0 + w] += 1.0
        cx, cy = (x0 + w / 2) / IMG * GRID, (y0 + h / 2) / IMG * GRID
        gx, gy = int(cx), int(cy)
        target[i, gy, gx] = torch.tensor([1.0, cx - gx, cy - gy, w / IMG, h / IMG, cls])
    return img, target


def yolo_loss(pred, target):
    obj_mask = target[..., 0] == 1
    loss_obj = F.binary_cross_entropy_with_logits(pred[..., 0], target[..., 0])
    p, t = pred[obj_mask], target[obj_mask]
    loss_xy = F.mse_loss(torch.sigmoid(p[:, 1:3]), t[:, 1:3])
    loss_wh = F.mse_loss(p[:, 3:5], t[:, 3:5].log())
    loss_cls = F.cross_entropy(p[:, 5:], t[:, 5].long())
    return loss_obj + 5 * (loss_xy + loss_wh) + loss_cls


backbone = TinyCSPDarknet(activate="relu").to(device)
head = YOLOHead().to(device)
optimizer = torch.optim.Adam(list(backbone.parameters()) + list(head.parameters()), lr=1e-3,
                             betas=(0.937, 0.999))

for step in range(30):
    img, target = make_batch(16)
    pred = head(backbone(img.to(device)))
    loss = yolo_loss(pred, target.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 9:
        print(f"step {step + 1} loss {loss.item():.3f}")
