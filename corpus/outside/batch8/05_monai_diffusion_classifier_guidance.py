"""Noise-conditional classifier for classifier-guided diffusion (MONAI DiffusionModelEncoder style).

The classifier sees x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps together with t and predicts
the class of x_0; its gradient is later used to guide the sampler.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def get_timestep_embedding(timesteps, embedding_dim, max_period=10000):
    half_dim = embedding_dim // 2
    exponent = -math.log(max_period) * torch.arange(half_dim, dtype=torch.float32) / half_dim
    freqs = torch.exp(exponent)
    args = timesteps[:, None].float() * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResnetBlock(nn.Module):
    def __init__(self, in_channels, out_channels, temb_channels, norm_num_groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(norm_num_groups, in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb_channels, out_channels)
        self.norm2 = nn.GroupNorm(norm_num_groups, out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class DownBlock(nn.Module):
    def __init__(self, in_channels, out_channels, temb_channels, num_res_blocks=1, add_downsample=True):
        super().__init__()
        self.resnets = nn.ModuleList(
            [ResnetBlock(in_channels if i == 0 else out_channels, out_channels, temb_channels)
             for i in range(num_res_blocks)])
        self.downsampler = nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1) if add_downsample else None

    def forward(self, hidden_states, temb):
        for resnet in self.resnets:
            hidden_states = resnet(hidden_states, temb)
        if self.downsampler is not None:
            hidden_states = self.downsampler(hidden_states)
        return hidden_states, None


class DiffusionModelEncoder(nn.Module):
    def __init__(self, in_channels=1, out_channels=2, num_channels=(16, 32, 32), num_res_blocks=1):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.block_out_channels = num_channels
        time_embed_dim = num_channels[0] * 4
        self.conv_in = nn.Conv2d(in_channels, num_channels[0], 3, padding=1)
        self.time_embed = nn.Sequential(nn.Linear(num_channels[0], time_embed_dim), nn.SiLU(),
                                        nn.Linear(time_embed_dim, time_embed_dim))
        self.down_blocks = nn.ModuleList([])
        output_channel = num_channels[0]
        for i in range(len(num_channels)):
            input_channel = output_channel
            output_channel = num_channels[i]
            is_final_block = i == len(num_channels) - 1
            self.down_blocks.append(DownBlock(input_channel, output_channel, time_embed_dim,
                                              num_res_blocks, add_downsample=not is_final_block))
        self.out = None

    def forward(self, x, timesteps):
        # 1. time
        t_emb = get_timestep_embedding(timesteps, self.block_out_channels[0])
        emb = self.time_embed(t_emb)
        # 2. initial convolution
        h = self.conv_in(x)
        # 3. down
        for downsample_block in self.down_blocks:
            h, _ = downsample_block(hidden_states=h, temb=emb)
        # 4. flatten
        h = h.reshape(h.shape[0], -1)
        # 5. out
        if self.out is None:
            self.out = nn.Sequential(
                nn.Linear(h.shape[1], 512), nn.ReLU(), nn.Dropout(0.1), nn.Linear(512, self.out_channels)
            )
        output = self.out(h)
        return output


class DDPMScheduler:
    def __init__(self, num_train_timesteps=1000, beta_start=1e-4, beta_end=2e-2):
        self.num_train_timesteps = num_train_timesteps
        betas = torch.linspace(beta_start, beta_end, num_train_timesteps)
        self.alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)

    def add_noise(self, original_samples, noise, timesteps):
        abar = self.alphas_cumprod[timesteps][:, None, None, None]
        return abar.sqrt() * original_samples + (1 - abar).sqrt() * noise


def make_images(n=128, size=16):
    """Class 0: horizontal stripes, class 1: vertical stripes."""
    labels = torch.randint(0, 2, (n,))
    coords = torch.arange(size).float()
    phase = torch.rand(n, 1, 1) * 6.28
    horiz = torch.sin(coords[None, :, None] + phase).expand(n, size, size)
    vert = torch.sin(coords[None, None, :] + phase).expand(n, size, size)
    imgs = torch.where(labels[:, None, None] == 0, horiz, vert)
    return imgs.unsqueeze(1), labels


if __name__ == "__main__":
    classifier = DiffusionModelEncoder(in_channels=1, out_channels=2, num_channels=(16, 32, 32))
    scheduler = DDPMScheduler(num_train_timesteps=1000)
    optimizer = torch.optim.Adam(params=classifier.parameters(), lr=2.5e-5)

    images, classes = make_images()
    for epoch in range(3):
        classifier.train()
        epoch_loss = 0.0
        for i in range(0, images.shape[0], 32):
            x0, y = images[i:i + 32], classes[i:i + 32]
            timesteps = torch.randint(0, scheduler.num_train_timesteps, (x0.shape[0],)).long()
            noise = torch.randn_like(x0)
            noisy_img = scheduler.add_noise(x0, noise, timesteps)
            pred = classifier(noisy_img, timesteps)
            loss = F.cross_entropy(pred, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        print(f"epoch {epoch} loss {epoch_loss:.4f}")
