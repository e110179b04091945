"""A tiny ViT for 16x16 images: patch embedding, a transformer layer, a position embedding."""
import torch
from torch import nn

torch.manual_seed(0)


class TinyViT(nn.Module):
    def __init__(self, patch=4, dim=24, classes=5):
        super().__init__()
        self.patchify = nn.Conv2d(1, dim, patch, stride=patch)
        n_patches = (16 // patch) ** 2
        self.register_buffer("pos_embed", torch.zeros(1, n_patches, dim))
        self.block = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=48, batch_first=True)
        self.head = nn.Linear(dim, classes)
        self.apply(self._init_weights)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patchify(x).flatten(2).transpose(1, 2) + self.pos_embed
        return self.head(self.block(x).mean(dim=1))


def train(model, images, labels, steps=25):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()
    return loss.item()


if __name__ == "__main__":
    images = torch.randn(20, 1, 16, 16)
    labels = torch.randint(0, 5, (20,))
    print(train(TinyViT(), images, labels))
