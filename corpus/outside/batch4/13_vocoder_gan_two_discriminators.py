"""GAN vocoder (HiFi-GAN / UNIVERSE-style) on synthetic tones.

The generator maps a log-magnitude spectrogram back to a 256-sample waveform and is
trained against a multi-period discriminator (MPD) and a multi-resolution STFT
discriminator (MRD), plus a multi-resolution spectral L1 loss.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
WAV_LEN, N_FFT, HOP = 256, 32, 16


def spectrogram(wave, n_fft=N_FFT, hop=HOP):
    window = torch.hann_window(n_fft)
    spec = torch.stft(wave, n_fft, hop, window=window, return_complex=True)
    return spec.abs()


def make_batch(n=4):
    t = torch.arange(WAV_LEN) / WAV_LEN
    f = torch.randint(3, 30, (n, 2)).float()
    wave = 0.5 * torch.sin(2 * torch.pi * f[:, :1] * t) + 0.3 * torch.sin(2 * torch.pi * f[:, 1:] * t)
    cond = torch.log1p(spectrogram(wave))[..., :WAV_LEN // HOP]          # (n, 17, 16)
    return cond, wave.unsqueeze(1)


class Generator(nn.Module):
    def __init__(self, n_bins=N_FFT // 2 + 1, ch=32):
        super().__init__()
        self.pre = nn.Conv1d(n_bins, ch, 3, padding=1)
        self.ups = nn.ModuleList([nn.ConvTranspose1d(ch, ch // 2, 8, 4, 2),
                                  nn.ConvTranspose1d(ch // 2, ch // 4, 8, 4, 2)])
        self.post = nn.Conv1d(ch // 4, 1, 7, padding=3)

    def forward(self, cond):
        x = self.pre(cond)
        for up in self.ups:
            x = up(F.leaky_relu(x, 0.1))
        return torch.tanh(self.post(F.leaky_relu(x, 0.1)))


class MultiPeriodDiscriminator(nn.Module):
    def __init__(self, periods=(2, 3)):
        super().__init__()
        self.periods = periods
        self.discs = nn.ModuleList([nn.Sequential(
            nn.Conv2d(1, 8, (5, 1), (3, 1), (2, 0)), nn.LeakyReLU(0.1),
            nn.Conv2d(8, 16, (5, 1), (3, 1), (2, 0)), nn.LeakyReLU(0.1),
            nn.Conv2d(16, 1, (3, 1), 1, (1, 0))) for _ in periods])

    def forward(self, wave):
        outs = []
        for p, disc in zip(self.periods, self.discs):
            pad = (p - wave.size(-1) % p) % p
            x = F.pad(wave, (0, pad), mode="reflect")
            outs.append(disc(x.view(x.size(0), 1, -1, p)))
        return outs


class MultiResolutionDiscriminator(nn.Module):
    def __init__(self, resolutions=(32, 64)):
        super().__init__()
        self.resolutions = resolutions
        self.discs = nn.ModuleList([nn.Sequential(
            nn.Conv2d(1, 8, 3, 1, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(8, 8, 3, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(8, 1, 3, 1, 1)) for _ in resolutions])

    def forward(self, wave):
        return [disc(spectrogram(wave.squeeze(1), n, n // 4).unsqueeze(1))
                for n, disc in zip(self.resolutions, self.discs)]


class VocoderGAN(nn.Module):
    def __init__(self):
        super().__init__()
        self.generator = Generator()
        self.loss_mpd = MultiPeriodDiscriminator()
        self.loss_mrd = MultiResolutionDiscriminator()

    def configure_optimizers(self):
        params_gen = self.generator.parameters()
        params_disc = list(self.loss_mrd.parameters()) + list(
            self.loss_mrd.parameters()
        )
        opt_g = torch.optim.AdamW(params_gen, lr=2e-4, betas=(0.8, 0.99))
        opt_d = torch.optim.AdamW(params_disc, lr=2e-4, betas=(0.8, 0.99))
        return opt_g, opt_d

    def training_step(self, batch, opt_g, opt_d):
        cond, wave = batch
        fake = self.generator(cond)

        d_loss = 0.0
        for disc in (self.loss_mpd, self.loss_mrd):
            for real_out, fake_out in zip(disc(wave), disc(fake.detach())):
                d_loss = d_loss + F.mse_loss(real_out, torch.ones_like(real_out)) \
                    + F.mse_loss(fake_out, torch.zeros_like(fake_out))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()

        g_adv = sum(F.mse_loss(o, torch.ones_like(o))
                    for disc in (self.loss_mpd, self.loss_mrd) for o in disc(fake))
        spec_l1 = sum(F.l1_loss(spectrogram(fake.squeeze(1), n, n // 4), spectrogram(wave.squeeze(1), n, n // 4))
                      for n in (32, 64))
        g_loss = g_adv + 45.0 * spec_l1
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return d_loss.item(), g_loss.item()


def main():
    gan = VocoderGAN()
    opt_g, opt_d = gan.configure_optimizers()
    for step in range(12):
        d, g = gan.training_step(make_batch(), opt_g, opt_d)
        if step % 4 == 0:
            print(f"step {step:2d}  D {d:.3f}  G {g:.3f}")


if __name__ == "__main__":
    main()
