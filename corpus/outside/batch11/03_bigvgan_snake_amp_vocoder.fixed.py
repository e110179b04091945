"""BigVGAN-style vocoder: AMP residual blocks with periodic (snake) activations and a
learnable per-channel frequency alpha.  Trained here with a multi-resolution STFT loss only."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import weight_norm

device = "cuda" if torch.cuda.is_available() else "cpu"
rank = device

h = {"resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3]], "upsample_rates": [4, 4],
     "upsample_kernel_sizes": [8, 8], "upsample_initial_channel": 32, "num_mels": 16,
     "learning_rate": 2e-3, "adam_b1": 0.8, "adam_b2": 0.99, "lr_decay": 0.999}


def init_weights(m, mean=0.0, std=0.01):
    if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
        m.weight.data.normal_(mean, std)


def get_padding(kernel_size, dilation=1):
    return int((kernel_size * dilation - dilation) / 2)


def snake(x, alpha):
    return x + 1.0 / (alpha + 1e-9) * torch.sin(alpha * x).pow(2)


class AMPBlock(nn.Module):
    def __init__(self, channels, kernel_size=3, dilation=(1, 3)):
        super().__init__()
        self.convs1 = nn.ModuleList([weight_norm(nn.Conv1d(channels, channels, kernel_size, 1, dilation=d,
                                                           padding=get_padding(kernel_size, d))) for d in dilation])
        self.convs2 = nn.ModuleList([weight_norm(nn.Conv1d(channels, channels, kernel_size, 1, dilation=1,
                                                           padding=get_padding(kernel_size, 1))) for _ in dilation])
        self.convs1.apply(init_weights)
        self.convs2.apply(init_weights)
        self.alpha1 = nn.ParameterList([nn.Parameter(torch.ones(1, channels, 1)) for i in range(len(self.convs1))])
        self.alpha2 = nn.ParameterList([nn.Parameter(torch.ones(1, channels, 1)) for i in range(len(self.convs2))])

    def forward(self, x):
        for c1, c2, a1, a2 in zip(self.convs1, self.convs2, self.alpha1, self.alpha2):
            xt = snake(x, a1)
            xt = c1(xt)
            xt = snake(xt, a2)
            xt = c2(xt)
            x = xt + x
        return x


class Generator(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.num_kernels = len(h["resblock_kernel_sizes"])
        ch = h["upsample_initial_channel"]
        self.conv_pre = weight_norm(nn.Conv1d(h["num_mels"], ch, 7, 1, padding=3))
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (u, k) in enumerate(zip(h["upsample_rates"], h["upsample_kernel_sizes"])):
            self.ups.append(weight_norm(nn.ConvTranspose1d(ch // (2 ** i), ch // (2 ** (i + 1)), k, u,
                                                           padding=(k - u) // 2)))
            for k_r, d_r in zip(h["resblock_kernel_sizes"], h["resblock_dilation_sizes"]):
                self.resblocks.append(AMPBlock(ch // (2 ** (i + 1)), k_r, d_r))
        self.alpha_post = nn.Parameter(torch.ones(1, ch // (2 ** len(self.ups)), 1))
        self.conv_post = weight_norm(nn.Conv1d(ch // (2 ** len(self.ups)), 1, 7, 1, padding=3))
        self.ups.apply(init_weights)

    def forward(self, x):
        x = self.conv_pre(x)
        for i, up in enumerate(self.ups):
            x = up(x)
            xs = sum(self.resblocks[i * self.num_kernels + j](x) for j in range(self.num_kernels))
            x = xs / self.num_kernels
        x = snake(x, self.alpha_post)
        return torch.tanh(self.conv_post(x))


def stft_loss(y_hat, y, fft_sizes=(64, 128)):
    loss = 0.0
    for n_fft in fft_sizes:
        win = torch.hann_window(n_fft, device=y.device)
        s_hat = torch.stft(y_hat.squeeze(1), n_fft, n_fft // 4, window=win, return_complex=True).abs()
        s = torch.stft(y.squeeze(1), n_fft, n_fft // 4, window=win, return_complex=True).abs()
        loss = loss + F.l1_loss(torch.log(s_hat + 1e-5), torch.log(s + 1e-5)) + \
            torch.norm(s - s_hat, p="fro") / torch.norm(s, p="fro")
    return loss


torch.manual_seed(0)
generator = Generator(h).to(device)
optim_g = torch.optim.AdamW(generator.parameters(), h["learning_rate"], betas=[h["adam_b1"], h["adam_b2"]])
scheduler_g = torch.optim.lr_scheduler.ExponentialLR(optim_g, gamma=h["lr_decay"])

mels = torch.randn(4, h["num_mels"], 32)
t = torch.linspace(0, 1, 32 * 16)
wavs = (0.5 * torch.sin(2 * torch.pi * 40 * t)).expand(4, 1, -1).clone()

generator.train()
for steps in range(15):
    x, y = mels.to(device), wavs.to(device)
    y_g_hat = generator(x)
    loss_gen_all = stft_loss(y_g_hat, y) + 45 * F.l1_loss(y_g_hat, y)
    optim_g.zero_grad()
    loss_gen_all.backward()
    optim_g.step()
    scheduler_g.step()
    if steps % 5 == 0:
        print(f"step {steps} loss {loss_gen_all.item():.4f}")
