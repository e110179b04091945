"""Unsupervised depth and ego-motion (SfMLearner-style) with an added learning-rate scheduler
option (--scheduler step).  DispNet predicts disparity of the target frame, PoseExpNet the
relative pose to a reference frame; the loss is photometric reconstruction + smoothness."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


def conv(in_planes, out_planes, stride=1):
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 3, stride, 1), nn.ReLU(inplace=True))


class DispNetS(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = conv(3, 16, 2)
        self.conv2 = conv(16, 32, 2)
        self.upconv2 = nn.ConvTranspose2d(32, 16, 4, 2, 1)
        self.upconv1 = nn.ConvTranspose2d(16, 16, 4, 2, 1)
        self.predict_disp = nn.Conv2d(16, 1, 3, 1, 1)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        x = F.relu(self.upconv1(F.relu(self.upconv2(x))))
        return 10 * torch.sigmoid(self.predict_disp(x)) + 0.01


class PoseExpNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = conv(6, 16, 2)
        self.conv2 = conv(16, 32, 2)
        self.pose_pred = nn.Conv2d(32, 6, 1)

    def forward(self, tgt_img, ref_img):
        x = self.conv2(self.conv1(torch.cat([tgt_img, ref_img], 1)))
        return 0.01 * self.pose_pred(x).mean([2, 3])


def inverse_warp(img, depth, pose):
    """Very small stand-in for the projective warp: horizontal/vertical shift from translation/depth."""
    b, _, h, w = img.shape
    ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=img.device), torch.linspace(-1, 1, w, device=img.device),
                            indexing="ij")
    grid = torch.stack([xs, ys], -1).unsqueeze(0).expand(b, h, w, 2)
    flow = torch.stack([pose[:, 0:1, None] / depth[:, 0], pose[:, 1:2, None] / depth[:, 0]], -1)
    return F.grid_sample(img, grid + flow, padding_mode="border", align_corners=True)


def smooth_loss(disp):
    dx = disp[:, :, :, 1:] - disp[:, :, :, :-1]
    dy = disp[:, :, 1:] - disp[:, :, :-1]
    return dx.abs().mean() + dy.abs().mean()


parser = argparse.ArgumentParser()
parser.add_argument("--lr", default=2e-4, type=float)
parser.add_argument("--momentum", "-m", default=0.9, type=float)
parser.add_argument("--beta", default=0.999, type=float)
parser.add_argument("--smooth-loss-weight", "-s", default=0.1, type=float)
parser.add_argument("--optimizer", default="Adam", choices=["Adam", "SGD"])
parser.add_argument("--scheduler", default="step", choices=["step", "none"])
parser.add_argument("--epochs", default=3, type=int)
args = parser.parse_args()

torch.manual_seed(0)
disp_net = DispNetS().to(device)
pose_exp_net = PoseExpNet().to(device)
optim_params = [{"params": disp_net.parameters(), "lr": args.lr},
                {"params": pose_exp_net.parameters(), "lr": args.lr}]
if args.optimizer == "Adam":
    optimizer = torch.optim.Adam(optim_params, betas=(args.momentum, args.beta))
else:
    optimizer = torch.optim.SGD(optim_params, momentum=args.momentum)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5) if args.scheduler == "step" else None

frames = torch.rand(8, 3, 3, 32, 32)  # (sequence, [ref0, tgt, ref1], C, H, W)


def train(disp_net, pose_exp_net, optimizer, scheduler):
    disp_net.train()
    pose_exp_net.train()
    for i in range(frames.size(0)):
        ref0, tgt, ref1 = [f.unsqueeze(0).to(device) for f in frames[i]]
        disp = disp_net(tgt)
        depth = 1 / disp
        loss_1 = 0
        for ref in (ref0, ref1):
            pose = pose_exp_net(tgt, ref)
            loss_1 = loss_1 + (inverse_warp(ref, depth, pose) - tgt).abs().mean()
        loss = loss_1 + args.smooth_loss_weight * smooth_loss(disp)

        optimizer.zero_grad()
        loss.backward()
        if scheduler:
            scheduler.step()
        else:
            optimizer.step()
    return loss.item()


for epoch in range(args.epochs):
    train_loss = train(disp_net, pose_exp_net, optimizer, scheduler)
    print(f"epoch {epoch} train loss {train_loss:.4f}")
