"""EdgeConnect stage 1 (edge model): an edge generator completes the masked edge map and a
patch discriminator judges it (knazeri/edge-connect src/models.py layout)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"
config = {"LR": 1e-4, "D2G_LR": 0.1, "BETA1": 0.0, "BETA2": 0.9, "FM_LOSS_WEIGHT": 10.0, "ADV_LOSS_WEIGHT": 1.0}


class EdgeGenerator(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1), nn.InstanceNorm2d(16), nn.ReLU(True),
                                     nn.Conv2d(16, 32, 4, 2, 1), nn.InstanceNorm2d(32), nn.ReLU(True))
        self.decoder = nn.Sequential(nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.InstanceNorm2d(16), nn.ReLU(True),
                                     nn.Conv2d(16, 1, 3, 1, 1))

    def forward(self, x):
        return torch.sigmoid(self.decoder(self.encoder(x)))


class Discriminator(nn.Module):
    def __init__(self, in_channels=2):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, 16, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True))
        self.conv2 = nn.Sequential(nn.Conv2d(16, 32, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True))
        self.conv3 = nn.Conv2d(32, 1, 4, 1, 1)

    def forward(self, x):
        c1 = self.conv1(x)
        c2 = self.conv2(c1)
        return torch.sigmoid(self.conv3(c2)), [c1, c2]


class EdgeModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.generator = EdgeGenerator()
        self.discriminator = Discriminator(in_channels=2)
        self.gen_optimizer = torch.optim.Adam(self.generator.parameters(), lr=config["LR"],
                                              betas=(config["BETA1"], config["BETA2"]))
        self.dis_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=config["LR"] * config["D2G_LR"],
                                              betas=(config["BETA1"], config["BETA2"]))
        self.config = config

    def process(self, images, edges, masks):
        self.gen_optimizer.zero_grad()
        self.dis_optimizer.zero_grad()
        outputs = self(images, edges, masks)
        # discriminator loss
        dis_real, dis_real_feat = self.discriminator(torch.cat((images[:, :1], edges), dim=1))
        dis_fake, _ = self.discriminator(torch.cat((images[:, :1], outputs.detach()), dim=1))
        dis_loss = (F.binary_cross_entropy(dis_real, torch.ones_like(dis_real)) +
                    F.binary_cross_entropy(dis_fake, torch.zeros_like(dis_fake))) / 2
        # generator adversarial + feature-matching loss
        gen_fake, gen_fake_feat = self.discriminator(torch.cat((images[:, :1], outputs), dim=1))
        gen_loss = self.config["ADV_LOSS_WEIGHT"] * F.binary_cross_entropy(gen_fake, torch.ones_like(gen_fake))
        gen_fm_loss = sum(F.l1_loss(f, r.detach()) for f, r in zip(gen_fake_feat, dis_real_feat))
        gen_loss = gen_loss + self.config["FM_LOSS_WEIGHT"] * gen_fm_loss
        return outputs, gen_loss, dis_loss

    def forward(self, images, edges, masks):
        edges_masked = edges * (1 - masks)
        images_masked = images[:, :1] * (1 - masks) + masks
        return self.generator(torch.cat((images_masked, edges_masked, masks), dim=1))

    def backward(self, gen_loss=None, dis_loss=None):
        if gen_loss is not None:
            gen_loss.backward()
        self.gen_optimizer.step()

        if dis_loss is not None:
            dis_loss.backward()
        self.dis_optimizer.step()


torch.manual_seed(0)
edge_model = EdgeModel(config).to(device)
images = torch.rand(8, 3, 32, 32)
edges = (torch.rand(8, 1, 32, 32) > 0.8).float()
masks = torch.zeros(8, 1, 32, 32)
masks[:, :, 8:24, 8:24] = 1
for iteration in range(5):
    outputs, gen_loss, dis_loss = edge_model.process(images.to(device), edges.to(device), masks.to(device))
    edge_model.backward(gen_loss, dis_loss)
    print(f"iter {iteration} gen {gen_loss.item():.4f} dis {dis_loss.item():.4f}")
