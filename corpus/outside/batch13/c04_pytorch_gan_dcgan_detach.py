# Correct look-alike modelled on:
# https://github.com/eriklindernoren/PyTorch-GAN/blob/master/implementations/dcgan/dcgan.py
# Looks suspicious: the discriminator loss uses gen_imgs.detach() (a graph cut right after the
# generator) and the generator loss back-propagates through the discriminator although
# optimizer_G only holds generator parameters. Both are intended: the detach keeps the
# discriminator update from writing gradients into the generator, and the discriminator
# gradients produced by g_loss are cleared by optimizer_D.zero_grad() before its own step.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)
cuda = torch.cuda.is_available()
device = "cuda" if cuda else "cpu"

opt = {"n_epochs": 2, "batch_size": 16, "lr": 0.0002, "b1": 0.5, "b2": 0.999, "latent_dim": 16,
       "img_size": 8, "channels": 1}


def weights_init_normal(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        torch.nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm2d") != -1:
        torch.nn.init.normal_(m.weight.data, 1.0, 0.02)
        torch.nn.init.constant_(m.bias.data, 0.0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.init_size = opt["img_size"] // 4
        self.l1 = nn.Sequential(nn.Linear(opt["latent_dim"], 32 * self.init_size ** 2))
        self.conv_blocks = nn.Sequential(
            nn.BatchNorm2d(32), nn.Upsample(scale_factor=2),
            nn.Conv2d(32, 32, 3, stride=1, padding=1), nn.BatchNorm2d(32, 0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(32, 16, 3, stride=1, padding=1), nn.BatchNorm2d(16, 0.8), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(16, opt["channels"], 3, stride=1, padding=1), nn.Tanh())

    def forward(self, z):
        out = self.l1(z).view(z.shape[0], 32, self.init_size, self.init_size)
        return self.conv_blocks(out)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()

        def discriminator_block(in_filters, out_filters, bn=True):
            block = [nn.Conv2d(in_filters, out_filters, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
            if bn:
                block.append(nn.BatchNorm2d(out_filters, 0.8))
            return block

        self.model = nn.Sequential(*discriminator_block(opt["channels"], 16, bn=False),
                                   *discriminator_block(16, 32))
        ds_size = opt["img_size"] // 2 ** 2
        self.adv_layer = nn.Sequential(nn.Linear(32 * ds_size ** 2, 1), nn.Sigmoid())

    def forward(self, img):
        out = self.model(img)
        return self.adv_layer(out.view(out.shape[0], -1))


adversarial_loss = torch.nn.BCELoss()
generator = Generator().to(device)
discriminator = Discriminator().to(device)
generator.apply(weights_init_normal)
discriminator.apply(weights_init_normal)

real_data = torch.tanh(torch.randn(96, opt["channels"], opt["img_size"], opt["img_size"]))
dataloader = torch.utils.data.DataLoader(real_data, batch_size=opt["batch_size"], shuffle=True)
optimizer_G = torch.optim.Adam(generator.parameters(), lr=opt["lr"], betas=(opt["b1"], opt["b2"]))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=opt["lr"], betas=(opt["b1"], opt["b2"]))

for epoch in range(opt["n_epochs"]):
    for i, imgs in enumerate(dataloader):
        valid = torch.ones(imgs.shape[0], 1, device=device)
        fake = torch.zeros(imgs.shape[0], 1, device=device)
        real_imgs = imgs.to(device)

        # Train Generator
        optimizer_G.zero_grad()
        z = torch.randn(imgs.shape[0], opt["latent_dim"], device=device)
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()

        # Train Discriminator
        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
    print(f"[Epoch {epoch}/{opt['n_epochs']}] [D loss: {d_loss.item():.4f}] [G loss: {g_loss.item():.4f}]")
