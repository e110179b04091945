"""Two-stage (coarse + refinement) image inpainting GAN trained with the LSGAN objective,
an L1 reconstruction loss and a perceptual loss from a fixed feature network
(DeepFill v2 training recipe, reduced to 16x16 synthetic images)."""
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Opt:
    lr_g, lr_d, b1, b2, weight_decay = 2e-4, 1e-4, 0.5, 0.999, 0.0
    perceptual_param, gan_param = 10.0, 1.0
    epochs, batch_size = 3, 8


def conv_block(i, o, s=1):
    return nn.Sequential(nn.Conv2d(i, o, 3, s, 1), nn.LeakyReLU(0.2, inplace=True))


class GatedGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.coarse = nn.Sequential(conv_block(4, 16), conv_block(16, 16), nn.Conv2d(16, 3, 3, 1, 1), nn.Tanh())
        self.refine = nn.Sequential(conv_block(4, 16), conv_block(16, 16), nn.Conv2d(16, 3, 3, 1, 1), nn.Tanh())

    def forward(self, img, mask):
        first_in = torch.cat([img * (1 - mask), mask], 1)
        first_out = self.coarse(first_in)
        second_in = img * (1 - mask) + first_out * mask
        second_out = self.refine(torch.cat([second_in, mask], 1))
        return first_out, second_out


class PatchDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(conv_block(4, 16, 2), conv_block(16, 32, 1), nn.Conv2d(32, 1, 3, 1, 1))

    def forward(self, img, mask):
        return self.net(torch.cat([img, mask], 1))


class PerceptualNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1), nn.ReLU())
        for p in self.parameters():
            p.requires_grad = False

    def forward(self, x):
        return self.features(x)


def make_data(n):
    img = torch.zeros(n, 3, 16, 16)
    for i in range(n):
        c = torch.rand(3, 1, 1) * 2 - 1
        img[i] = c * torch.linspace(-1, 1, 16)[None, None, :]
    mask = torch.zeros(n, 1, 16, 16)
    mask[:, :, 5:11, 5:11] = 1
    return img, mask


opt = Opt()
generator, discriminator, perceptualnet = GatedGenerator().to(device), PatchDiscriminator().to(device), PerceptualNet().to(device)
L1Loss, MSELoss = nn.L1Loss(), nn.MSELoss()
optimizer_g = torch.optim.Adam(generator.parameters(), lr=opt.lr_g, betas=(opt.b1, opt.b2), weight_decay=opt.weight_decay)
optimizer_d = torch.optim.Adam(generator.parameters(), lr=opt.lr_d, betas=(opt.b1, opt.b2), weight_decay=opt.weight_decay)

data_img, data_mask = make_data(32)
for epoch in range(opt.epochs):
    for batch_idx in range(0, len(data_img), opt.batch_size):
        img = data_img[batch_idx:batch_idx + opt.batch_size].to(device)
        mask = data_mask[batch_idx:batch_idx + opt.batch_size].to(device)
        valid = torch.ones(img.shape[0], 1, 8, 8, device=device)
        fake = torch.zeros(img.shape[0], 1, 8, 8, device=device)

        ### Train Discriminator
        optimizer_d.zero_grad()
        first_out, second_out = generator(img, mask)
        first_out_wholeimg = img * (1 - mask) + first_out * mask
        second_out_wholeimg = img * (1 - mask) + second_out * mask
        fake_scalar = discriminator(second_out_wholeimg.detach(), mask)
        true_scalar = discriminator(img, mask)
        loss_D = 0.5 * (MSELoss(fake_scalar, fake) + MSELoss(true_scalar, valid))
        loss_D.backward()
        optimizer_d.step()

        ### Train Generator
        optimizer_g.zero_grad()
        first_MaskL1Loss = L1Loss(first_out_wholeimg, img)
        second_MaskL1Loss = L1Loss(second_out_wholeimg, img)
        fake_scalar = discriminator(second_out_wholeimg, mask)
        GAN_Loss = MSELoss(fake_scalar, valid)
        second_PerceptualLoss = L1Loss(perceptualnet(second_out_wholeimg), perceptualnet(img))
        loss = first_MaskL1Loss + second_MaskL1Loss + opt.perceptual_param * second_PerceptualLoss + opt.gan_param * GAN_Loss
        loss.backward()
        optimizer_g.step()

    print("[Epoch %d/%d] [first Mask L1 Loss: %.5f] [second Mask L1 Loss: %.5f] [D Loss: %.5f] [G Loss: %.5f] [Perceptual Loss: %.5f]"
          % (epoch + 1, opt.epochs, first_MaskL1Loss.item(), second_MaskL1Loss.item(), loss_D.item(), GAN_Loss.item(),
             second_PerceptualLoss.item()))
