"""Multi-task network: 2 segmentation tasks (Dice) + 3 landmark tasks (MSE).

The five losses are balanced with AutomaticWeightedLoss (Kendall et al. style
uncertainty weighting, https://github.com/Mikoto10032/AutomaticWeightedLoss).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

CFG = {
    "in_ch": 1,
    "base": 8,
    "n_seg": 2,
    "n_points": 3,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "epochs": 3,
    "batch_size": 4,
    "n_samples": 16,
    "img": 32,
}


class AutomaticWeightedLoss(nn.Module):
    """automatically weighted multi-task loss

    Params:
        num: int, the number of loss
        x: multi-task loss
    Examples:
        loss1=1
        loss2=2
        awl = AutomaticWeightedLoss(2)
        loss_sum = awl(loss1, loss2)
    """
    def __init__(self, num=2):
        super(AutomaticWeightedLoss, self).__init__()
        params = torch.ones(num, requires_grad=True)
        self.params = torch.nn.Parameter(params)

    def forward(self, *x):
        loss_sum = 0
        for i, loss in enumerate(x):
            loss_sum += 0.5 / (self.params[i] ** 2) * loss + torch.log(1 + self.params[i] ** 2)
        return loss_sum


class DiceLoss(nn.Module):
    def __init__(self, smooth=1.0):
        super().__init__()
        self.smooth = smooth

    def forward(self, logits, target):
        prob = torch.sigmoid(logits)
        inter = (prob * target).sum(dim=(1, 2))
        union = prob.sum(dim=(1, 2)) + target.sum(dim=(1, 2))
        return 1 - ((2 * inter + self.smooth) / (union + self.smooth)).mean()


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class MultiTaskUNet(nn.Module):
    def __init__(self, in_ch, base, n_seg, n_points):
        super().__init__()
        self.enc1 = conv_block(in_ch, base)
        self.enc2 = conv_block(base, base * 2)
        self.bottleneck = conv_block(base * 2, base * 4)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, 2, stride=2)
        self.dec2 = conv_block(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, 2, stride=2)
        self.dec1 = conv_block(base * 2, base)
        self.seg_head = nn.Conv2d(base, n_seg, 1)
        self.point_head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(base * 4, 64), nn.ReLU(), nn.Linear(64, n_points * 2)
        )
        self.n_points = n_points

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        b = self.bottleneck(F.max_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        seg = self.seg_head(d1)
        points = self.point_head(b).view(-1, self.n_points, 2)
        return seg, points


def make_data(cfg):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(cfg["n_samples"], cfg["in_ch"], cfg["img"], cfg["img"], generator=g)
    seg = (torch.rand(cfg["n_samples"], cfg["n_seg"], cfg["img"], cfg["img"], generator=g) > 0.7).float()
    pts = torch.rand(cfg["n_samples"], cfg["n_points"], 2, generator=g)
    return x, seg, pts


torch.manual_seed(0)
model = MultiTaskUNet(CFG["in_ch"], CFG["base"], CFG["n_seg"], CFG["n_points"]).to(device)
awl = AutomaticWeightedLoss(CFG["n_seg"] + CFG["n_points"]).to(device)
seg_loss_fn = DiceLoss()
point_loss_fn = nn.MSELoss()

optimizer = torch.optim.Adam([
    {"params": model.parameters()},
    {"params": awl.parameters(), "weight_decay": 0},
], lr=CFG["lr"], weight_decay=CFG["weight_decay"])
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

x_all, seg_all, pts_all = make_data(CFG)
for epoch in range(CFG["epochs"]):
    model.train()
    for i in range(0, CFG["n_samples"], CFG["batch_size"]):
        x = x_all[i:i + CFG["batch_size"]].to(device)
        seg_gt = seg_all[i:i + CFG["batch_size"]].to(device)
        pts_gt = pts_all[i:i + CFG["batch_size"]].to(device)

        seg_pred, pts_pred = model(x)
        seg_losses = [seg_loss_fn(seg_pred[:, c], seg_gt[:, c]) for c in range(CFG["n_seg"])]
        point_losses = [point_loss_fn(pts_pred[:, k], pts_gt[:, k]) for k in range(CFG["n_points"])]
        loss = awl(*seg_losses, *point_losses)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} task weights {awl.params.detach().cpu().numpy()}")
