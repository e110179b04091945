"""Edge-aware depth regression: a ViT-style encoder with a fixed 2-D sin-cos position embedding
(MAE style) and a fixed Sobel edge filter, both registered as frozen parameters."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def sincos_2d(h, w, dim, temperature=10000.0):
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    omega = 1.0 / temperature ** (torch.arange(dim // 4, dtype=torch.float32) / (dim // 4 - 1))
    y = y.flatten()[:, None] * omega[None]
    x = x.flatten()[:, None] * omega[None]
    return torch.cat([x.sin(), x.cos(), y.sin(), y.cos()], dim=1)[None]


class EdgeDepthNet(nn.Module):
    def __init__(self, img=16, patch=4, dim=32):
        super().__init__()
        g = img // patch
        self.sobel = nn.Conv2d(1, 2, 3, padding=1, bias=False)
        kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
        self.sobel.weight = nn.Parameter(torch.stack([kx, kx.T])[:, None])
        self.sobel.weight.requires_grad = False
        self.patch_embed = nn.Conv2d(3 + 2, dim, patch, patch)
        self.pos_embed = nn.Parameter(sincos_2d(g, g, dim))
        self.pos_embed.requires_grad = False
        layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, patch * patch)
        self.g, self.patch = g, patch

    def forward(self, img):
        edges = self.sobel(img.mean(1, keepdim=True))
        x = self.patch_embed(torch.cat([img, edges], 1)).flatten(2).transpose(1, 2) + self.pos_embed
        x = self.head(self.blocks(x))
        b = x.shape[0]
        return x.view(b, self.g, self.g, self.patch, self.patch).permute(0, 1, 3, 2, 4).reshape(b, 1, self.g * self.patch, self.g * self.patch)


def main():
    torch.manual_seed(0)
    model = EdgeDepthNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    imgs = torch.rand(128, 3, 16, 16)
    depth = imgs.mean(1, keepdim=True).cumsum(-1) / 16
    for epoch in range(3):
        for i in range(0, 128, 32):
            loss = F.l1_loss(model(imgs[i:i + 32]), depth[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
