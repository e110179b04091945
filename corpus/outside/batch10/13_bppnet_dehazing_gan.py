"""BPPNet single-image dehazing: four stacked UNets + pyramid convolution generator, spectral-norm
PatchGAN discriminator, and MSE + adversarial + VGG content + SSIM losses (DU_Net wrapper)."""
from collections import OrderedDict
from math import exp

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class UNet(nn.Module):
    def __init__(self, in_channels=3, out_channels=3, init_features=4, pyramid_kernels=(3, 5, 7, 11, 17)):
        super().__init__()
        f = init_features
        self.encoder1, self.encoder2 = UNet._block(in_channels, f, "enc1"), UNet._block(f, f * 2, "enc2")
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottleneck = UNet._block(f * 2, f * 4, "bottleneck")
        self.upconv2, self.decoder2 = nn.ConvTranspose2d(f * 4, f * 2, 2, stride=2), UNet._block(f * 4, f * 2, "dec2")
        self.upconv1, self.decoder1 = nn.ConvTranspose2d(f * 2, f, 2, stride=2), UNet._block(f * 2, f, "dec1")
        self.conv = nn.Conv2d(f, out_channels, kernel_size=1)
        self.pyramid = nn.ModuleList([
            nn.Sequential(nn.Conv2d(4 * out_channels, 16, k, padding=k // 2),
                          nn.InstanceNorm2d(16, track_running_stats=False), nn.ReLU(True))
            for k in pyramid_kernels])
        self.conv_1 = nn.Conv2d(16 * len(pyramid_kernels), out_channels, kernel_size=1)

    def unet_pass(self, x):
        enc1 = self.encoder1(x)
        enc2 = self.encoder2(self.pool(enc1))
        bottleneck = self.bottleneck(self.pool(enc2))
        dec2 = self.decoder2(torch.cat((self.upconv2(bottleneck), enc2), dim=1))
        dec1 = self.decoder1(torch.cat((self.upconv1(dec2), enc1), dim=1))
        return self.conv(dec1)

    def forward(self, x):
        coonv1_1 = self.unet_pass(x)          # block1
        coonv1_2 = self.unet_pass(coonv1_1)   # block2
        coonv1_3 = self.unet_pass(coonv1_2)   # block3
        coonv1_4 = self.unet_pass(coonv1_3)   # block4
        concat = torch.cat((coonv1_1, coonv1_2, coonv1_3, coonv1_4), dim=1)
        concat_py = torch.cat([p(concat) for p in self.pyramid], dim=1)
        return torch.sigmoid(self.conv_1(concat_py))

    @staticmethod
    def _block(in_channels, features, name):
        return nn.Sequential(OrderedDict([
            (name + "conv1", nn.Conv2d(in_channels, features, 3, padding=1, bias=False)),
            (name + "norm1", nn.BatchNorm2d(features)), (name + "relu1", nn.ReLU(inplace=True)),
            (name + "conv2", nn.Conv2d(features, features, 3, padding=1, bias=False)),
            (name + "norm2", nn.BatchNorm2d(features)), (name + "relu2", nn.ReLU(inplace=True))]))


def spectral_norm(module, mode=True):
    return nn.utils.spectral_norm(module) if mode else module


class Discriminator(nn.Module):
    def __init__(self, in_channels, use_sigmoid=True, use_spectral_norm=True):
        super().__init__()
        self.use_sigmoid = use_sigmoid
        chans = [in_channels, 8, 16, 32, 64]
        self.convs = nn.ModuleList([
            nn.Sequential(spectral_norm(nn.Conv2d(chans[i], chans[i + 1], 4, 2 if i < 3 else 1, 1,
                                                  bias=not use_spectral_norm), use_spectral_norm),
                          nn.LeakyReLU(0.2, inplace=True)) for i in range(4)])
        self.conv5 = spectral_norm(nn.Conv2d(64, 1, 4, 1, 1, bias=not use_spectral_norm), use_spectral_norm)

    def forward(self, x):
        feats = []
        for conv in self.convs:
            x = conv(x)
            feats.append(x)
        outputs = self.conv5(x)
        return (torch.sigmoid(outputs) if self.use_sigmoid else outputs), feats


class AdversarialLoss(nn.Module):
    def __init__(self, type='hinge', target_real_label=1.0, target_fake_label=0.0):
        super().__init__()
        self.type = type
        self.register_buffer('real_label', torch.tensor(target_real_label))
        self.register_buffer('fake_label', torch.tensor(target_fake_label))
        self.criterion = nn.BCELoss() if type == 'nsgan' else nn.MSELoss()

    def __call__(self, outputs, is_real, is_disc=None):
        if self.type == 'hinge':
            return -torch.log(outputs).mean() if is_real else -torch.log(1 - outputs).mean()
        labels = (self.real_label if is_real else self.fake_label).expand_as(outputs)
        return self.criterion(outputs, labels)


class VGG19(nn.Module):
    """Perceptual feature slices (pretrained VGG in the original; frozen either way)."""

    def __init__(self):
        super().__init__()
        c = [3, 8, 16, 16, 32, 32]
        self.slices = nn.ModuleList([nn.Sequential(nn.Conv2d(c[i], c[i + 1], 3, padding=1), nn.ReLU(),
                                                   *([nn.MaxPool2d(2)] if 0 < i < 4 else []))
                                     for i in range(5)])
        for param in self.parameters():  # don't need the gradients, just want the features
            param.requires_grad = False

    def forward(self, x):
        out = {}
        for i, s in enumerate(self.slices):
            x = s(x)
            out['relu%d_1' % (i + 1)] = x
        return out


class ContentLoss(nn.Module):
    def __init__(self, weights=(1.0, 1.0, 1.0, 1.0, 1.0)):
        super().__init__()
        self.add_module('vgg', VGG19())
        self.criterion, self.weights = nn.L1Loss(), weights

    def __call__(self, x, y):
        x_vgg, y_vgg = self.vgg(x), self.vgg(y)
        return sum(w * self.criterion(x_vgg['relu%d_1' % (i + 1)], y_vgg['relu%d_1' % (i + 1)])
                   for i, w in enumerate(self.weights))


def gaussian(window_size, sigma):
    gauss = torch.tensor([exp(-(x - window_size // 2) ** 2 / float(2 * sigma ** 2)) for x in range(window_size)])
    return gauss / gauss.sum()


class SSIM(nn.Module):
    def __init__(self, window_size=11):
        super().__init__()
        self.window_size = window_size

    def forward(self, img1, img2):
        c = img1.size(1)
        _1d = gaussian(self.window_size, 1.5).unsqueeze(1)
        window = (_1d @ _1d.t()).expand(c, 1, self.window_size, self.window_size).contiguous().type_as(img1)
        conv = lambda t: F.conv2d(t, window, padding=self.window_size // 2, groups=c)
        mu1, mu2 = conv(img1), conv(img2)
        s1, s2, s12 = conv(img1 * img1) - mu1 ** 2, conv(img2 * img2) - mu2 ** 2, conv(img1 * img2) - mu1 * mu2
        C1, C2 = 0.01 ** 2, 0.03 ** 2
        return (((2 * mu1 * mu2 + C1) * (2 * s12 + C2)) / ((mu1 ** 2 + mu2 ** 2 + C1) * (s1 + s2 + C2))).mean()


class DU_Net(nn.Module):
    def __init__(self, unet_input, unet_output, discriminator_input):
        super().__init__()
        unet = UNet(in_channels=unet_input, out_channels=unet_output)
        discriminator = Discriminator(in_channels=discriminator_input, use_sigmoid=True)
        self.add_module('unet', unet)
        self.add_module('discriminator', discriminator)
        self.add_module('criterion', nn.MSELoss())
        self.add_module('adversarial_loss', AdversarialLoss(type='hinge'))
        self.add_module('content_loss', ContentLoss())
        self.add_module('ssim_loss', SSIM(window_size=11))
        self.unet_optimizer = optim.Adam(unet.parameters(), lr=1e-4, betas=(0.9, 0.999))
        self.dis_optimizer = optim.Adam(params=discriminator.parameters(), lr=1e-4, betas=(0.9, 0.999))

    def process(self, haze_images, dehaze_images):
        self.unet_optimizer.zero_grad()
        self.dis_optimizer.zero_grad()
        unet_loss, dis_loss = 0, 0
        outputs = self.unet(haze_images)

        # discriminator loss
        dis_real, _ = self.discriminator(dehaze_images)
        dis_fake, _ = self.discriminator(outputs.detach())
        dis_loss += (self.adversarial_loss(dis_real, True, True) + self.adversarial_loss(dis_fake, False, True)) / 2

        # unet loss
        unet_fake, _ = self.discriminator(outputs)
        unet_loss += self.adversarial_loss(unet_fake, True, False) * 0.7
        unet_criterion = self.criterion(outputs, dehaze_images)
        unet_loss += unet_criterion
        unet_loss += self.content_loss(outputs, dehaze_images) * 0.7
        ssim_loss = (1 - self.ssim_loss(outputs, dehaze_images)) * 2
        unet_loss += ssim_loss
        return unet_loss, dis_loss, unet_criterion, 1 - ssim_loss / 2

    def backward(self, unet_loss, dis_loss):
        dis_loss.backward(retain_graph=True)
        self.dis_optimizer.step()

        unet_loss.backward()
        self.unet_optimizer.step()


def make_pairs(n, size=32):
    clean = torch.rand(n, 3, size, size)
    airlight, t = torch.rand(n, 1, 1, 1) * 0.3 + 0.7, torch.rand(n, 1, 1, 1) * 0.5 + 0.3
    return clean * t + airlight * (1 - t), clean  # atmospheric scattering model


haze, clear = make_pairs(8)
train_loader = [(haze[i:i + 2], clear[i:i + 2]) for i in range(0, 8, 2)]
DUNet = DU_Net(3, 3, 3).to(device)

for epoch in range(2):
    for i, (haze_images, dehaze_images) in enumerate(train_loader, 1):
        unet_loss, dis_loss, mse, ssim = DUNet.process(haze_images.to(device), dehaze_images.to(device))
        DUNet.backward(unet_loss, dis_loss)
        print('Epoch: ' + str(epoch + 1) + ' || Batch: ' + str(i) + " || unet loss: " + str(unet_loss.item())
              + " || dis loss: " + str(dis_loss.item()) + " || mse: " + str(mse.item()) + " | ssim:" + str(ssim.item()))
