# Reproduction modelled on: https://github.com/Lornatang/SRGAN-PyTorch/issues/85
# FIXED VERSION: the discriminator update steps d_optimizer.
# "I notice that you specify 'g_optimizer' as discriminator optimizer and 'd_optimizer' is
# not used during training model." -- the discriminator update calls g_optimizer.step(), so
# the discriminator parameters are never stepped (d_optimizer is created but never used).
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {
    "UPSCALE": 2, "CHANNELS": 16, "NUM_RB": 2,
    "G_LR": 1e-4, "D_LR": 1e-4, "EPOCHS": 2, "BATCHES": 4, "BATCH_SIZE": 4,
    "PIXEL_W": 1.0, "CONTENT_W": 0.006, "ADV_W": 0.001,
}


class ResidualBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1), nn.PReLU(), nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, ch, num_rb, upscale):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, ch, 9, padding=4), nn.PReLU())
        self.trunk = nn.Sequential(*[ResidualBlock(ch) for _ in range(num_rb)])
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.upsampling = nn.Sequential(nn.Conv2d(ch, ch * upscale ** 2, 3, padding=1),
                                        nn.PixelShuffle(upscale), nn.PReLU())
        self.conv3 = nn.Conv2d(ch, 3, 9, padding=4)

    def forward(self, x):
        out1 = self.conv1(x)
        out = self.conv2(self.trunk(out1)) + out1
        return torch.clamp(self.conv3(self.upsampling(out)), 0.0, 1.0)


class DiscriminatorForVGG(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, ch, 3, 1, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch, ch, 3, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ch, ch * 2, 3, 2, 1), nn.LeakyReLU(0.2, True))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(ch * 2 * 4 * 4, 32),
                                        nn.LeakyReLU(0.2, True), nn.Linear(32, 1))

    def forward(self, x):
        return self.classifier(self.features(x))


class ContentLoss(nn.Module):
    """Perceptual loss on a fixed (pretrained, frozen) feature extractor."""

    def __init__(self):
        super().__init__()
        self.feature_extractor = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                               nn.Conv2d(8, 8, 3, padding=1))
        for p in self.feature_extractor.parameters():
            p.requires_grad = False
        self.feature_extractor.eval()

    def forward(self, sr, gt):
        return F.mse_loss(self.feature_extractor(sr), self.feature_extractor(gt))


def build_model(cfg):
    g_model = SRResNet(cfg["CHANNELS"], cfg["NUM_RB"], cfg["UPSCALE"]).to(device)
    d_model = DiscriminatorForVGG(cfg["CHANNELS"]).to(device)
    return g_model, d_model


def define_optimizer(g_model, d_model, cfg):
    g_optimizer = torch.optim.Adam(g_model.parameters(), cfg["G_LR"], betas=(0.9, 0.999))
    d_optimizer = torch.optim.Adam(d_model.parameters(), cfg["D_LR"], betas=(0.9, 0.999))
    return g_optimizer, d_optimizer


def load_dataset(cfg):
    gt = torch.rand(cfg["BATCHES"] * cfg["BATCH_SIZE"], 3, 16, 16)
    lr = F.avg_pool2d(gt, cfg["UPSCALE"])
    return [(lr[i:i + cfg["BATCH_SIZE"]].to(device), gt[i:i + cfg["BATCH_SIZE"]].to(device))
            for i in range(0, len(gt), cfg["BATCH_SIZE"])]


def train(g_model, d_model, loader, pixel_criterion, content_criterion, adversarial_criterion,
          g_optimizer, d_optimizer, epoch, cfg):
    g_model.train()
    d_model.train()
    for batch_index, (lr, gt) in enumerate(loader):
        real_label = torch.full((lr.size(0), 1), 1.0, device=device)
        fake_label = torch.full((lr.size(0), 1), 0.0, device=device)

        # ---- generator ----
        for d_parameters in d_model.parameters():
            d_parameters.requires_grad = False
        g_model.zero_grad(set_to_none=True)
        sr = g_model(lr)
        pixel_loss = cfg["PIXEL_W"] * pixel_criterion(sr, gt)
        content_loss = cfg["CONTENT_W"] * content_criterion(sr, gt)
        adversarial_loss = cfg["ADV_W"] * adversarial_criterion(d_model(sr), real_label)
        g_loss = pixel_loss + content_loss + adversarial_loss
        g_loss.backward()
        g_optimizer.step()

        # ---- discriminator ----
        for d_parameters in d_model.parameters():
            d_parameters.requires_grad = True
        d_model.zero_grad(set_to_none=True)
        d_loss_gt = adversarial_criterion(d_model(gt), real_label)
        d_loss_sr = adversarial_criterion(d_model(sr.detach()), fake_label)
        d_loss = d_loss_gt + d_loss_sr
        d_loss.backward()
        d_optimizer.step()

        if batch_index % 2 == 0:
            print(f"epoch {epoch} batch {batch_index} g_loss {g_loss.item():.4f} d_loss {d_loss.item():.4f}")


g_model, d_model = build_model(config)
pixel_criterion = nn.MSELoss()
content_criterion = ContentLoss().to(device)
adversarial_criterion = nn.BCEWithLogitsLoss()
g_optimizer, d_optimizer = define_optimizer(g_model, d_model, config)
g_scheduler = torch.optim.lr_scheduler.StepLR(g_optimizer, step_size=1, gamma=0.5)
d_scheduler = torch.optim.lr_scheduler.StepLR(d_optimizer, step_size=1, gamma=0.5)
train_loader = load_dataset(config)

for epoch in range(config["EPOCHS"]):
    train(g_model, d_model, train_loader, pixel_criterion, content_criterion, adversarial_criterion,
          g_optimizer, d_optimizer, epoch, config)
    g_scheduler.step()
    d_scheduler.step()
