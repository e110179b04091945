"""Siamese stereo matching: a left and a right feature branch, a cost volume and a disparity head."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class StereoNet(nn.Module):
    def __init__(self, feat=8, max_disp=4):
        super().__init__()
        self.max_disp = max_disp
        self.left_branch = nn.Sequential(conv_block(3, feat), conv_block(feat, feat))
        self.right_branch = nn.Sequential(conv_block(3, feat), conv_block(feat, feat))
        self.head = nn.Conv2d(max_disp, 1, 3, padding=1)

    def cost_volume(self, fl, fr):
        costs = [(fl * fr).mean(1)]
        for d in range(1, self.max_disp):
            costs.append(F.pad((fl[..., d:] * fr[..., :-d]).mean(1), (d, 0)))
        return torch.stack(costs, dim=1)

    def forward(self, left, right):
        fl = self.left_branch(left)
        fr = self.right_branch(right)
        return self.head(self.cost_volume(fl, fr)).squeeze(1)


torch.manual_seed(0)
left_imgs = torch.randn(12, 3, 16, 24)
right_imgs = torch.roll(left_imgs, shifts=-2, dims=-1) + 0.05 * torch.randn(12, 3, 16, 24)
target = torch.full((12, 16, 24), 2.0)

net = StereoNet()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    for i in range(0, 12, 4):
        disp = net(left_imgs[i:i + 4], right_imgs[i:i + 4])
        loss = F.smooth_l1_loss(disp, target[i:i + 4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
