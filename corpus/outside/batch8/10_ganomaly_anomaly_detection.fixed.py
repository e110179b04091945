"""GANomaly (encoder-decoder-encoder G + D) for one-class anomaly detection; score = ||E(x) - E'(G(x))||."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Opt:
    isize, nc, nz, ngf, ndf = 16, 1, 16, 16, 16
    lr, beta1 = 2e-4, 0.5
    w_bce, w_rec, w_enc = 1, 50, 1
    batchsize, niter = 32, 3


def weights_init(mod):
    classname = mod.__class__.__name__
    if classname.find('Conv') != -1:
        mod.weight.data.normal_(0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        mod.weight.data.normal_(1.0, 0.02)
        mod.bias.data.fill_(0)


class Encoder(nn.Module):
    def __init__(self, isize, nz, nc, ndf):
        super().__init__()
        main = nn.Sequential(nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True))
        csize, cndf = isize // 2, ndf
        while csize > 4:
            main.extend([nn.Conv2d(cndf, cndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(cndf * 2),
                         nn.LeakyReLU(0.2, inplace=True)])
            cndf, csize = cndf * 2, csize // 2
        main.append(nn.Conv2d(cndf, nz, 4, 1, 0, bias=False))
        self.main = main

    def forward(self, x):
        return self.main(x)


class Decoder(nn.Module):
    def __init__(self, isize, nz, nc, ngf):
        super().__init__()
        cngf = ngf * (isize // 8)
        main = nn.Sequential(nn.ConvTranspose2d(nz, cngf, 4, 1, 0, bias=False), nn.BatchNorm2d(cngf), nn.ReLU(True))
        csize = 4
        while csize < isize // 2:
            main.extend([nn.ConvTranspose2d(cngf, cngf // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(cngf // 2),
                         nn.ReLU(True)])
            cngf, csize = cngf // 2, csize * 2
        main.extend([nn.ConvTranspose2d(cngf, nc, 4, 2, 1, bias=False), nn.Tanh()])
        self.main = main

    def forward(self, x):
        return self.main(x)


class NetD(nn.Module):
    def __init__(self, opt):
        super(NetD, self).__init__()
        model = Encoder(opt.isize, 1, opt.nc, opt.ndf)
        layers = list(model.main.children())
        self.features = nn.Sequential(*layers[:-1])
        self.classifier = nn.Sequential(layers[-1])
        self.classifier.add_module('Sigmoid', nn.Sigmoid())

    def forward(self, x):
        features = self.features(x)
        return self.classifier(features).view(-1, 1).squeeze(1), features


class NetG(nn.Module):
    def __init__(self, opt):
        super(NetG, self).__init__()
        self.encoder1 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf)
        self.decoder = Decoder(opt.isize, opt.nz, opt.nc, opt.ngf)
        self.encoder2 = Encoder(opt.isize, opt.nz, opt.nc, opt.ngf)

    def forward(self, x):
        latent_i = self.encoder1(x)
        gen_imag = self.decoder(latent_i)
        return gen_imag, latent_i, self.encoder2(gen_imag)


def l2_loss(input, target):
    return torch.mean(torch.pow((input - target), 2))


class Ganomaly:
    def __init__(self, opt):
        self.opt = opt
        self.netg, self.netd = NetG(opt).apply(weights_init), NetD(opt).apply(weights_init)
        self.l_con, self.l_enc = nn.L1Loss(), l2_loss
        self.bce_criterion = nn.BCELoss()
        self.real_label, self.fake_label = 1.0, 0.0
        self.optimizer_d = torch.optim.Adam(self.netd.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))
        self.optimizer_g = torch.optim.Adam(self.netg.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

    def update_netd(self):
        """Update D network: Ladv = |f(real) - f(fake)|_2"""
        self.netd.zero_grad()
        self.out_d_real, self.feat_real = self.netd(self.input)
        self.fake, self.latent_i, self.latent_o = self.netg(self.input)
        self.out_d_fake, self.feat_fake = self.netd(self.fake.detach())
        self.err_d = (self.bce_criterion(self.out_d_real, torch.ones_like(self.out_d_real)) +
                      self.bce_criterion(self.out_d_fake, torch.zeros_like(self.out_d_fake))) * 0.5
        self.err_d.backward()
        self.optimizer_d.step()

    def update_netg(self):
        """Update G network: log(D(G(x))) + ||G(x) - x||"""
        self.netg.zero_grad()
        self.label.fill_(self.real_label)
        self.out_g, _ = self.netd(self.fake)
        self.err_g_bce = self.bce_criterion(self.out_g, self.label)
        self.err_g_l1l = self.l_con(self.fake, self.input)
        self.err_g_enc = self.l_enc(self.latent_o, self.latent_i)
        self.err_g = self.err_g_bce * self.opt.w_bce + self.err_g_l1l * self.opt.w_rec + self.err_g_enc * self.opt.w_enc
        self.err_g.backward(retain_graph=True)
        self.optimizer_g.step()

    def train_epoch(self, data):
        for i in range(0, data.size(0), self.opt.batchsize):
            self.input = data[i:i + self.opt.batchsize]
            self.label = torch.empty(self.input.size(0))
            self.update_netd()
            self.update_netg()
        return self.err_d.item(), self.err_g.item()

    @torch.no_grad()
    def anomaly_score(self, x):
        _, latent_i, latent_o = self.netg(x)
        return torch.mean(torch.pow((latent_i - latent_o), 2), dim=1).view(-1)


def make_normal_digits(n=128, size=16):
    yy, xx = torch.meshgrid(torch.arange(size) - 7.5, torch.arange(size) - 7.5, indexing='ij')
    r = (yy ** 2 + xx ** 2).sqrt()
    ring = ((r > 4) & (r < 6)).float() * 2 - 1
    return (ring + 0.1 * torch.randn(n, 1, size, size)).clamp(-1, 1)


if __name__ == "__main__":
    opt, data = Opt(), make_normal_digits()
    model = Ganomaly(opt)
    for epoch in range(opt.niter):
        err_d, err_g = model.train_epoch(data[torch.randperm(data.size(0))])
        print(f"epoch {epoch} err_d {err_d:.4f} err_g {err_g:.4f}")
    anomalies = F.pad(torch.ones(8, 1, 8, 8), (4, 4, 4, 4), value=-1.0)
    print("normal", model.anomaly_score(data[:8]).mean().item(), "anomaly", model.anomaly_score(anomalies).mean().item())
