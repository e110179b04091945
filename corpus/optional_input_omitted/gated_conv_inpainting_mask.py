"""Toy image inpainting with mask-gated convolutions: each conv layer of the network may take the
hole mask (at its own resolution), turned into a soft gate on its output by a 1x1 projection.
Trained to fill square holes in smooth random images."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class MaskGatedConv(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1)
        self.mask_gate = nn.Conv2d(1, out_ch, 1)

    def forward(self, x, mask=None):
        h = self.conv(x)
        if mask is not None:
            h = h * torch.sigmoid(self.mask_gate(mask))
        return F.elu(h)


class Inpainter(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.enc1 = MaskGatedConv(4, ch)
        self.enc2 = MaskGatedConv(ch, ch * 2, stride=2)
        self.mid = MaskGatedConv(ch * 2, ch * 2)
        self.dec = MaskGatedConv(ch * 2 + ch, ch)
        self.out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, image, mask):
        holed = image * (1 - mask)
        mask_half = F.max_pool2d(mask, 2)
        e1 = self.enc1(torch.cat([holed, mask], dim=1), mask)
        e2 = self.enc2(e1, mask_half)
        m = self.mid(e2, mask_half)
        up = F.interpolate(m, scale_factor=2, mode="nearest")
        d = self.dec(torch.cat([up, e1], dim=1))
        filled = torch.sigmoid(self.out(d))
        return holed + mask * filled


def smooth_images(n):
    low = torch.rand(n, 3, 4, 4)
    return F.interpolate(low, size=16, mode="bilinear", align_corners=False)


def square_holes(n):
    mask = torch.zeros(n, 1, 16, 16)
    for i in range(n):
        r, c = torch.randint(2, 10, (2,)).tolist()
        mask[i, :, r : r + 5, c : c + 5] = 1.0
    return mask


def fit(model, steps=50):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(steps):
        image, mask = smooth_images(16), square_holes(16)
        loss = F.l1_loss(model(image, mask) * mask, image * mask) * 10
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: hole l1 {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    fit(Inpainter())
