# Report: https://github.com/kornia/kornia/issues/827
# A regressor predicts a 3x3 homography that warps a template onto the input image; the warper
# samples with mode='nearest'. Nearest-neighbour sampling has a zero derivative with respect to the
# sampling grid, so the loss sends no gradient to the homography: neither the regressor nor the
# feature extractor ever changes.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class HomographyWarper(nn.Module):
    def __init__(self, height, width, mode="bilinear"):
        super().__init__()
        self.mode = mode
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        grid = torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(-1, 3)
        self.register_buffer("grid", grid)
        self.height, self.width = height, width

    def forward(self, image, homography):
        b = homography.shape[0]
        pts = self.grid.unsqueeze(0).expand(b, -1, -1) @ homography.transpose(1, 2)
        pts = pts[..., :2] / (pts[..., 2:] + 1e-8)
        pts = pts.reshape(b, self.height, self.width, 2)
        return F.grid_sample(image, pts, mode=self.mode, align_corners=True)


def my_resnet(out_channels):
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(True),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(True),
        nn.Conv2d(32, out_channels, 3, stride=2, padding=1), nn.ReLU(True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


class MyModel(nn.Module):
    def __init__(self, out_channels, h, w, template, nearest=False):
        super().__init__()
        self.resnet = my_resnet(out_channels)
        self.register_buffer("template", template)
        if nearest:
            self.warper = HomographyWarper(h, w, mode="nearest")
        else:
            self.warper = HomographyWarper(h, w)
        self.reg = nn.Sequential(nn.Linear(out_channels, 32), nn.ReLU(True), nn.Linear(32, 3 * 3))
        self.reg[-1].weight.data.zero_()
        self.reg[-1].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], dtype=torch.float))

    def forward(self, x):
        x = self.resnet(x)
        theta = self.reg(x).view(-1, 3, 3)
        template = self.template.expand(theta.shape[0], -1, -1, -1)
        return self.warper(template, theta)


H, W = 32, 32
template = F.avg_pool2d(torch.rand(1, 1, H, W), 5, stride=1, padding=2)


def make_batch(n=8):
    # targets: the template under a small random shift and shear
    theta = torch.eye(3).repeat(n, 1, 1)
    theta[:, 0, 2] = torch.empty(n).uniform_(-0.2, 0.2)
    theta[:, 1, 2] = torch.empty(n).uniform_(-0.2, 0.2)
    theta[:, 0, 1] = torch.empty(n).uniform_(-0.1, 0.1)
    warper = HomographyWarper(H, W)
    with torch.no_grad():
        target = warper(template.expand(n, -1, -1, -1), theta)
    return target


model = MyModel(64, H, W, template, nearest=False).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for it in range(60):
    target = make_batch().to(device)
    warped = model(target)
    loss = F.l1_loss(warped, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 20 == 0:
        print(f"iter {it}: loss {loss.item():.4f}")
