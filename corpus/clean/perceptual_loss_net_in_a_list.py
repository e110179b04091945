"""Super-resolution with a perceptual loss. The loss network is loaded from a checkpoint and kept in a
plain list so that it stays out of the SR model's parameters() and state_dict()."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F


def feature_net():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU())


class SRNet(nn.Module):
    def __init__(self, loss_net):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 3 * 4, 3, padding=1), nn.PixelShuffle(2))
        self._loss_net = [loss_net.eval()]  # not a submodule: never trained, never saved with the model

    def forward(self, lr):
        return self.body(lr) + F.interpolate(lr, scale_factor=2, mode="bilinear", align_corners=False)

    def perceptual_loss(self, sr, hr):
        net = self._loss_net[0]
        return F.mse_loss(net(sr), net(hr))


def main():
    torch.manual_seed(0)
    buf = io.BytesIO()
    torch.save(feature_net().state_dict(), buf)  # stand-in for a pretrained VGG checkpoint
    buf.seek(0)
    vgg = feature_net()
    vgg.load_state_dict(torch.load(buf))
    model = SRNet(vgg)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    hr = torch.rand(64, 3, 16, 16)
    lr = F.avg_pool2d(hr, 2)
    for epoch in range(3):
        for i in range(0, 64, 16):
            sr = model(lr[i:i + 16])
            loss = F.l1_loss(sr, hr[i:i + 16]) + 0.1 * model.perceptual_loss(sr, hr[i:i + 16])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
