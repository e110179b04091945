# Report: https://github.com/zhaoyuzhi/deepfillv2/issues/6
# "It seems like that you do not include optimizer.step in trainer.py" -- the discriminator
# loss is computed and back-propagated, but optimizer_d.step() is never called.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

opt = {"lr_g": 1e-4, "lr_d": 4e-4, "b1": 0.5, "b2": 0.999, "lambda_l1": 100.0, "lambda_gan": 1.0,
       "epochs": 3, "batch_size": 4}


class GatedConv2d(nn.Module):
    def __init__(self, c_in, c_out, k=3, s=1, d=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, d * (k // 2), dilation=d)
        self.mask = nn.Conv2d(c_in, c_out, k, s, d * (k // 2), dilation=d)

    def forward(self, x):
        return F.elu(self.conv(x)) * torch.sigmoid(self.mask(x))


class GatedGenerator(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.coarse = nn.Sequential(GatedConv2d(4, ch), GatedConv2d(ch, ch, d=2), nn.Conv2d(ch, 3, 3, 1, 1))
        self.refine = nn.Sequential(GatedConv2d(4, ch), GatedConv2d(ch, ch, d=2), nn.Conv2d(ch, 3, 3, 1, 1))

    def forward(self, img, mask):
        first_in = torch.cat([img * (1 - mask), mask], 1)
        first_out = torch.tanh(self.coarse(first_in))
        second_in = torch.cat([img * (1 - mask) + first_out * mask, mask], 1)
        second_out = torch.tanh(self.refine(second_in))
        return first_out, second_out


class PatchDiscriminator(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.block = nn.Sequential(sn(nn.Conv2d(4, ch, 4, 2, 1)), nn.LeakyReLU(0.2),
                                   sn(nn.Conv2d(ch, ch * 2, 4, 2, 1)), nn.LeakyReLU(0.2),
                                   nn.Conv2d(ch * 2, 1, 3, 1, 1, bias=False))  # hinge loss: a bias cancels out

    def forward(self, img, mask):
        return self.block(torch.cat([img, mask], 1))


def make_masks(n, size=16):
    m = torch.zeros(n, 1, size, size)
    for i in range(n):
        y, x = torch.randint(0, size // 2, (2,))
        m[i, :, y:y + size // 2, x:x + size // 2] = 1
    return m


images = torch.rand(16, 3, 16, 16) * 2 - 1
generator = GatedGenerator().to(device)
discriminator = PatchDiscriminator().to(device)
optimizer_g = torch.optim.Adam(generator.parameters(), lr=opt["lr_g"], betas=(opt["b1"], opt["b2"]))
optimizer_d = torch.optim.Adam(discriminator.parameters(), lr=opt["lr_d"], betas=(opt["b1"], opt["b2"]))

for epoch in range(opt["epochs"]):
    for i in range(0, len(images), opt["batch_size"]):
        img = images[i:i + opt["batch_size"]].to(device)
        mask = make_masks(img.shape[0]).to(device)

        # ---- Train Discriminator
        optimizer_d.zero_grad()
        first_out, second_out = generator(img, mask)
        second_out_wholeimg = img * (1 - mask) + second_out * mask
        fake_scalar = discriminator(second_out_wholeimg.detach(), mask)
        true_scalar = discriminator(img, mask)
        loss_D = torch.mean(F.relu(1 - true_scalar)) + torch.mean(F.relu(1 + fake_scalar))  # hinge
        loss_D.backward()
        optimizer_d.step()

        # ---- Train Generator
        optimizer_g.zero_grad()
        first_l1 = (first_out - img).abs().mean()
        second_l1 = (second_out - img).abs().mean()
        gan_loss = -torch.mean(discriminator(second_out_wholeimg, mask))
        loss = opt["lambda_l1"] * (first_l1 + second_l1) + opt["lambda_gan"] * gan_loss
        loss.backward()
        optimizer_g.step()
    print(f"[Epoch {epoch}] D {loss_D.item():.4f} G {loss.item():.4f}")
