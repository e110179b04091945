"""Deformable attention (DAT / DAttentionBaseline style) in a tiny image classifier.

An offset network predicts where each reference point should look; keys and
values are read from the feature map at those (fractional) positions with
bilinear grid_sample, so the offset network is trained through the sampling
coordinates.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class LayerNormProxy(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)  # b c h w -> b h w c
        return self.norm(x).permute(0, 3, 1, 2)


class DAttentionBaseline(nn.Module):
    def __init__(self, q_size, n_heads, n_head_channels, n_groups, stride=1, offset_range_factor=2, ksize=3):
        super().__init__()
        self.n_head_channels, self.scale = n_head_channels, n_head_channels ** -0.5
        self.n_heads, self.q_h, self.q_w = n_heads, *q_size
        self.nc, self.n_groups = n_head_channels * n_heads, n_groups
        self.n_group_channels = self.nc // self.n_groups
        self.offset_range_factor = offset_range_factor
        self.conv_offset = nn.Sequential(
            nn.Conv2d(self.n_group_channels, self.n_group_channels, ksize, stride, ksize // 2,
                      groups=self.n_group_channels),
            LayerNormProxy(self.n_group_channels), nn.GELU(),
            nn.Conv2d(self.n_group_channels, 2, 1, 1, 0, bias=False),
        )
        self.proj_q = nn.Conv2d(self.nc, self.nc, 1)
        self.proj_k = nn.Conv2d(self.nc, self.nc, 1)
        self.proj_v = nn.Conv2d(self.nc, self.nc, 1)
        self.proj_out = nn.Conv2d(self.nc, self.nc, 1)

    @torch.no_grad()
    def _get_ref_points(self, H_key, W_key, B, dtype, device):
        ref_y, ref_x = torch.meshgrid(torch.linspace(0.5, H_key - 0.5, H_key, dtype=dtype, device=device),
                                      torch.linspace(0.5, W_key - 0.5, W_key, dtype=dtype, device=device),
                                      indexing="ij")
        ref = torch.stack((ref_y, ref_x), -1)
        ref[..., 1].div_(W_key - 1.0).mul_(2.0).sub_(1.0)
        ref[..., 0].div_(H_key - 1.0).mul_(2.0).sub_(1.0)
        return ref[None, ...].expand(B * self.n_groups, -1, -1, -1)  # B * g H W 2

    def forward(self, x):
        B, C, H, W = x.size()
        dtype, device = x.dtype, x.device
        q = self.proj_q(x)
        q_off = q.reshape(B * self.n_groups, self.n_group_channels, H, W)  # b (g c) h w -> (b g) c h w
        offset = self.conv_offset(q_off).contiguous()  # B * g 2 Hg Wg
        Hk, Wk = offset.size(2), offset.size(3)
        if self.offset_range_factor > 0:
            offset_range = torch.tensor([1.0 / (Hk - 1.0), 1.0 / (Wk - 1.0)], device=device).reshape(1, 2, 1, 1)
            offset = offset.tanh().mul(offset_range).mul(self.offset_range_factor)
        offset = offset.permute(0, 2, 3, 1)  # b p h w -> b h w p
        reference = self._get_ref_points(Hk, Wk, B, dtype, device)
        pos = (offset + reference).clamp(-1.0, +1.0)

        x_sampled = F.grid_sample(
            input=x.reshape(B * self.n_groups, self.n_group_channels, H, W),
            grid=pos[..., (1, 0)],  # y, x -> x, y
            mode="bilinear", align_corners=True)  # B * g, Cg, Hg, Wg
        x_sampled = x_sampled.reshape(B, C, 1, Hk * Wk)

        q = q.reshape(B * self.n_heads, self.n_head_channels, H * W)
        k = self.proj_k(x_sampled).reshape(B * self.n_heads, self.n_head_channels, Hk * Wk)
        v = self.proj_v(x_sampled).reshape(B * self.n_heads, self.n_head_channels, Hk * Wk)
        attn = torch.einsum("b c m, b c n -> b m n", q, k).mul(self.scale).softmax(dim=2)
        out = torch.einsum("b m n, b c n -> b c m", attn, v).reshape(B, C, H, W)
        return self.proj_out(out)


class TinyDAT(nn.Module):
    def __init__(self, num_classes=5, dim=16, size=8):
        super().__init__()
        self.patch_proj = nn.Sequential(nn.Conv2d(3, dim, 4, 4), LayerNormProxy(dim))
        self.attn = DAttentionBaseline((size, size), n_heads=2, n_head_channels=dim // 2, n_groups=2)
        self.norm = LayerNormProxy(dim)
        self.mlp = nn.Sequential(nn.Conv2d(dim, 2 * dim, 1), nn.GELU(), nn.Conv2d(2 * dim, dim, 1))
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_proj(x)
        x = x + self.attn(x)
        x = x + self.mlp(self.norm(x))
        return self.head(x.mean(dim=(2, 3)))


torch.manual_seed(0)
model = TinyDAT().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=12)
images, labels = torch.randn(48, 3, 32, 32), torch.randint(0, 5, (48,))
for step in range(12):
    idx = torch.arange(step * 4, step * 4 + 4) % 48
    loss = F.cross_entropy(model(images[idx].to(device)), labels[idx].to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 4 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
