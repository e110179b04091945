"""Class-conditional image generator with conditional batch norm: each upsampling block normalises
without an affine of its own and takes its scale and shift from the class embedding. Trained to
turn noise and a label into that class's template image."""
import torch
from torch import nn
import torch.nn.functional as F

N_CLASSES = 5


class UpBlock(nn.Module):
    def __init__(self, in_ch, out_ch, n_classes):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.bn = nn.BatchNorm2d(out_ch, affine=False)
        self.class_affine = nn.Embedding(n_classes, out_ch * 2)
        nn.init.zeros_(self.class_affine.weight)

    def forward(self, x, y=None):
        h = self.bn(self.conv(F.interpolate(x, scale_factor=2)))
        if y is not None:
            gamma, beta = self.class_affine(y)[:, :, None, None].chunk(2, dim=1)
            h = h * (1 + gamma) + beta
        return F.relu(h)


class Generator(nn.Module):
    def __init__(self, z_dim=16, ch=32):
        super().__init__()
        self.fc = nn.Linear(z_dim, ch * 2 * 2)
        self.ch = ch
        self.up1 = UpBlock(ch, ch, N_CLASSES)
        self.up2 = UpBlock(ch, ch // 2, N_CLASSES)
        self.up3 = UpBlock(ch // 2, ch // 2, N_CLASSES)
        self.to_img = nn.Conv2d(ch // 2, 1, 3, padding=1)

    def forward(self, z, labels):
        h = self.fc(z).view(-1, self.ch, 2, 2)
        h = self.up1(h, y=labels)
        h = self.up2(h, y=labels)
        h = self.up3(h)
        return torch.tanh(self.to_img(h))


def templates():
    grid = torch.linspace(-1, 1, 16)
    yy, xx = torch.meshgrid(grid, grid, indexing="ij")
    return torch.stack([torch.sin((k + 1) * xx) * torch.cos((k + 1) * yy) for k in range(N_CLASSES)])[:, None]


def main():
    torch.manual_seed(0)
    target = templates()
    gen = Generator()
    opt = torch.optim.Adam(gen.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for it in range(60):
        labels = torch.randint(0, N_CLASSES, (32,))
        z = torch.randn(32, 16)
        loss = F.l1_loss(gen(z, labels), target[labels])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 20 == 0:
            print(f"iter {it}: l1 {loss.item():.4f}")


if __name__ == "__main__":
    main()
