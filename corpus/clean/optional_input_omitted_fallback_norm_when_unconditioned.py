"""Class-conditional image generator whose blocks work with or without a label: given one, a
conditional batch norm scales and shifts by class; without one, a plain batch norm does. The last
block is meant to be shared by every class, so it is called without the label and runs its plain
norm (its conditional norm is built, as every block's is, and stays unused)."""
import torch
from torch import nn
import torch.nn.functional as F

N_CLASSES = 5


class ConditionalNorm(nn.Module):
    def __init__(self, channels, n_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.embed = nn.Embedding(n_classes, channels * 2)
        nn.init.ones_(self.embed.weight[:, :channels])
        nn.init.zeros_(self.embed.weight[:, channels:])

    def forward(self, x, y):
        gamma, beta = self.embed(y).chunk(2, dim=1)
        return gamma[:, :, None, None] * self.bn(x) + beta[:, :, None, None]


class GenBlock(nn.Module):
    def __init__(self, in_ch, out_ch, n_classes=None):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.cond_norm = ConditionalNorm(out_ch, n_classes) if n_classes else None
        self.norm = nn.BatchNorm2d(out_ch)

    def forward(self, x, y=None):
        h = self.conv(F.interpolate(x, scale_factor=2))
        if self.cond_norm is not None and y is not None:
            h = self.cond_norm(h, y)
        else:
            h = self.norm(h)
        return F.relu(h)


class Generator(nn.Module):
    def __init__(self, z_dim=16, ch=32):
        super().__init__()
        self.fc = nn.Linear(z_dim, ch * 2 * 2)
        self.ch = ch
        self.block1 = GenBlock(ch, ch, N_CLASSES)
        self.block2 = GenBlock(ch, ch // 2, N_CLASSES)
        self.block3 = GenBlock(ch // 2, ch // 2, N_CLASSES)
        self.to_img = nn.Conv2d(ch // 2, 1, 3, padding=1)

    def forward(self, z, labels):
        h = self.fc(z).view(-1, self.ch, 2, 2)
        h = self.block1(h, y=labels)
        h = self.block2(h, y=labels)
        h = self.block3(h)  # class-agnostic on purpose: the plain-norm branch
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
