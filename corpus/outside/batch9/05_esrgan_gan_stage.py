"""ESRGAN x4, GAN stage (train_gan.py style): RRDBNet generator, VGG-style discriminator,
pixel + content (perceptual) + relativistic adversarial loss, EMA generator, AMP.
Tiny sizes and random "images" so it runs on CPU.
"""
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.optim import lr_scheduler
from torch.optim.swa_utils import AveragedModel

CONFIG = {
    "SEED": 0, "SCALE": 4,
    "MODEL": {"G": {"CHANNELS": 16, "GROWTH_CHANNELS": 8, "NUM_RRDB": 2}, "D": {"CHANNELS": 16},
              "EMA": {"ENABLE": True, "DECAY": 0.999}},
    "TRAIN": {"HYP": {"EPOCHS": 2, "IMGS_PER_BATCH": 4, "ITERS_PER_EPOCH": 3},
              "OPTIM": {"LR": 1e-4, "BETAS": (0.9, 0.99), "EPS": 1e-8, "WEIGHT_DECAY": 0.0},
              "LR_SCHEDULER": {"MILESTONES": [1], "GAMMA": 0.5},
              "LOSSES": {"PIXEL_WEIGHT": 1.0, "CONTENT_WEIGHT": 1.0, "ADVERSARIAL_WEIGHT": 0.005}},
}


class ResidualDenseBlock(nn.Module):
    def __init__(self, channels, growth_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, growth_channels, 3, 1, 1)
        self.conv2 = nn.Conv2d(channels + growth_channels, growth_channels, 3, 1, 1)
        self.conv3 = nn.Conv2d(channels + 2 * growth_channels, channels, 3, 1, 1)
        self.leaky_relu = nn.LeakyReLU(0.2, True)

    def forward(self, x):
        out1 = self.leaky_relu(self.conv1(x))
        out2 = self.leaky_relu(self.conv2(torch.cat([x, out1], 1)))
        out3 = self.conv3(torch.cat([x, out1, out2], 1))
        return out3 * 0.2 + x


class ResidualResidualDenseBlock(nn.Module):
    def __init__(self, channels, growth_channels):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(channels, growth_channels)
        self.rdb2 = ResidualDenseBlock(channels, growth_channels)

    def forward(self, x):
        return self.rdb2(self.rdb1(x)) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, in_channels=3, out_channels=3, channels=64, growth_channels=32, num_rrdb=23):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, 1, 1)
        self.trunk = nn.Sequential(*[ResidualResidualDenseBlock(channels, growth_channels) for _ in range(num_rrdb)])
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1)
        self.upsampling = nn.Sequential(nn.Conv2d(channels, channels * 16, 3, 1, 1), nn.PixelShuffle(4),
                                        nn.LeakyReLU(0.2, True))
        self.conv3 = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.LeakyReLU(0.2, True))
        self.conv4 = nn.Conv2d(channels, out_channels, 3, 1, 1)

    def forward(self, x):
        out1 = self.conv1(x)
        out = torch.add(out1, self.conv2(self.trunk(out1)))
        out = self.conv3(self.upsampling(out))
        return torch.clamp_(self.conv4(out), 0.0, 1.0)


class DiscriminatorForVGG(nn.Module):
    def __init__(self, in_channels=3, out_channels=1, channels=64):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, 1, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(channels, channels, 4, 2, 1, bias=False), nn.BatchNorm2d(channels), nn.LeakyReLU(0.2, True),
            nn.Conv2d(channels, 2 * channels, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * channels), nn.LeakyReLU(0.2, True),
        )
        # no bias on the output layer: the relativistic loss (D(x) - mean D(y)) cancels it anyway
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(2 * channels * 4 * 4, 32), nn.LeakyReLU(0.2, True),
                                        nn.Linear(32, out_channels, bias=False))

    def forward(self, x):
        return self.classifier(self.features(x))


class ContentLoss(nn.Module):
    """Perceptual loss on features of a fixed (pretrained) VGG-style extractor."""
    def __init__(self):
        super().__init__()
        self.feature_extractor = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 1, 1))
        self.feature_extractor.eval()
        for model_parameters in self.feature_extractor.parameters():
            model_parameters.requires_grad = False

    def forward(self, sr, gt):
        return F.l1_loss(self.feature_extractor(sr), self.feature_extractor(gt))


def define_optimizer(g_model, d_model, config: Any):
    g_optimizer = optim.Adam(g_model.parameters(), config["TRAIN"]["OPTIM"]["LR"], config["TRAIN"]["OPTIM"]["BETAS"],
                             config["TRAIN"]["OPTIM"]["EPS"], config["TRAIN"]["OPTIM"]["WEIGHT_DECAY"])
    d_optimizer = optim.Adam(d_model.parameters(), config["TRAIN"]["OPTIM"]["LR"], config["TRAIN"]["OPTIM"]["BETAS"],
                             config["TRAIN"]["OPTIM"]["EPS"], config["TRAIN"]["OPTIM"]["WEIGHT_DECAY"])
    return g_optimizer, d_optimizer


def train(g_model, ema_g_model, d_model, batches, pixel_criterion, content_criterion, adversarial_criterion,
          g_optimizer, d_optimizer, epoch, scaler, device, config):
    g_model.train()
    d_model.train()
    losses_cfg = config["TRAIN"]["LOSSES"]
    use_amp = torch.cuda.is_available()
    for batch_index, (gt, lr) in enumerate(batches):
        gt, lr = gt.to(device), lr.to(device)
        real_label = torch.full([gt.shape[0], 1], 1.0, device=device)
        fake_label = torch.full([gt.shape[0], 1], 0.0, device=device)

        # start training the generator model
        for d_parameters in d_model.parameters():
            d_parameters.requires_grad = False
        g_model.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, enabled=use_amp):
            sr = g_model(lr)
            gt_output = d_model(gt.detach().clone())
            sr_output = d_model(sr)
            pixel_loss = losses_cfg["PIXEL_WEIGHT"] * pixel_criterion(sr, gt)
            content_loss = losses_cfg["CONTENT_WEIGHT"] * content_criterion(sr, gt)
            d_loss_gt = adversarial_criterion(gt_output - torch.mean(sr_output), fake_label) * 0.5
            d_loss_sr = adversarial_criterion(sr_output - torch.mean(gt_output), real_label) * 0.5
            adversarial_loss = losses_cfg["ADVERSARIAL_WEIGHT"] * (d_loss_gt + d_loss_sr)
            g_loss = pixel_loss + content_loss + adversarial_loss
        scaler.scale(g_loss).backward()
        scaler.step(g_optimizer)
        scaler.update()

        # start training the discriminator model
        for d_parameters in d_model.parameters():
            d_parameters.requires_grad = True
        d_model.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, enabled=use_amp):
            gt_output = d_model(gt)
            sr_output = d_model(sr.detach().clone())
            d_loss_gt = adversarial_criterion(gt_output - torch.mean(sr_output), real_label) * 0.5
        scaler.scale(d_loss_gt).backward(retain_graph=True)
        with torch.autocast(device_type=device.type, enabled=use_amp):
            sr_output = d_model(sr.detach().clone())
            d_loss_sr = adversarial_criterion(sr_output - torch.mean(gt_output), fake_label) * 0.5
        scaler.scale(d_loss_sr).backward()
        d_loss = d_loss_gt + d_loss_sr
        scaler.step(d_optimizer)
        scaler.update()

        if ema_g_model is not None:
            ema_g_model.update_parameters(g_model)
        print(f"Epoch: [{epoch + 1}][{batch_index + 1}/{len(batches)}] G Loss {g_loss.item():.5f} D Loss {d_loss.item():.5f}")


def main():
    config = CONFIG
    torch.manual_seed(config["SEED"])
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    scaler = torch.amp.GradScaler("cuda", enabled=torch.cuda.is_available())

    g_model = RRDBNet(channels=config["MODEL"]["G"]["CHANNELS"], growth_channels=config["MODEL"]["G"]["GROWTH_CHANNELS"],
                      num_rrdb=config["MODEL"]["G"]["NUM_RRDB"]).to(device)
    d_model = DiscriminatorForVGG(channels=config["MODEL"]["D"]["CHANNELS"]).to(device)
    ema_decay = config["MODEL"]["EMA"]["DECAY"]
    ema_avg_fn = lambda averaged_model_parameter, model_parameter, num_averaged: \
        (1 - ema_decay) * averaged_model_parameter + ema_decay * model_parameter
    ema_g_model = AveragedModel(g_model, device=device, avg_fn=ema_avg_fn)

    pixel_criterion = nn.L1Loss().to(device)
    feature_criterion = ContentLoss().to(device)
    adversarial_criterion = nn.BCEWithLogitsLoss().to(device)
    g_optimizer, d_optimizer = define_optimizer(g_model, d_model, config)
    g_scheduler = lr_scheduler.MultiStepLR(g_optimizer, config["TRAIN"]["LR_SCHEDULER"]["MILESTONES"],
                                           config["TRAIN"]["LR_SCHEDULER"]["GAMMA"])
    d_scheduler = lr_scheduler.MultiStepLR(d_optimizer, config["TRAIN"]["LR_SCHEDULER"]["MILESTONES"],
                                           config["TRAIN"]["LR_SCHEDULER"]["GAMMA"])

    hyp = config["TRAIN"]["HYP"]
    gts = torch.rand(hyp["ITERS_PER_EPOCH"], hyp["IMGS_PER_BATCH"], 3, 16, 16)
    batches = [(gt, F.interpolate(gt, scale_factor=1 / config["SCALE"], mode="bicubic").clamp(0, 1)) for gt in gts]

    for epoch in range(hyp["EPOCHS"]):
        start = time.time()
        train(g_model,
              ema_g_model,
              d_model,
              batches,
              pixel_criterion,
              feature_criterion,
              adversarial_criterion,
              g_optimizer,
              g_optimizer,
              epoch,
              scaler,
              device,
              config)
        g_scheduler.step()
        d_scheduler.step()
        print(f"epoch {epoch + 1} done in {time.time() - start:.2f}s")


if __name__ == "__main__":
    main()
