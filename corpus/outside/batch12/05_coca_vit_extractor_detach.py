# Report: https://github.com/lucidrains/CoCa-pytorch/issues/6
# "The cloned tensor in `Extractor` will be detached ... So gradient may not propagate back to
#  image encoder."  The ViT embeddings are grabbed by a forward hook that stores
# output.clone().detach(), so the image encoder never receives a gradient.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.norm2(x))


class Transformer(nn.Module):
    def __init__(self, dim, depth, heads):
        super().__init__()
        self.layers = nn.ModuleList(Block(dim, heads) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class ViT(nn.Module):
    def __init__(self, image_size=16, patch_size=4, dim=32, depth=2, heads=4):
        super().__init__()
        n = (image_size // patch_size) ** 2
        self.patch_size = patch_size
        self.to_patch_embedding = nn.Linear(3 * patch_size * patch_size, dim)
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.transformer = Transformer(dim, depth, heads)

    def forward(self, img):
        p = self.patch_size
        x = img.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).flatten(3).flatten(1, 2)
        x = self.to_patch_embedding(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        return self.transformer(x)[:, 0]


class Extractor(nn.Module):
    """vit_pytorch.extractor.Extractor: returns the transformer's token embeddings via a hook."""

    def __init__(self, vit, layer_name="transformer", return_embeddings_only=False, detach=True):
        super().__init__()
        self.vit = vit
        self.layer = getattr(vit, layer_name)
        self.return_embeddings_only = return_embeddings_only
        self.detach = detach
        self.latents = None
        self.layer.register_forward_hook(self._hook)

    def _hook(self, _, inputs, output):
        self.latents = output.clone().detach() if self.detach else output.clone()

    def forward(self, img):
        pred = self.vit(img)
        latents, self.latents = self.latents, None  # _clear()
        return latents if self.return_embeddings_only else (pred, latents)


class CoCa(nn.Module):
    def __init__(self, img_encoder, dim=32, num_tokens=50):
        super().__init__()
        self.img_encoder = img_encoder
        self.token_emb = nn.Embedding(num_tokens, dim)
        self.text_encoder = Transformer(dim, 1, 4)
        self.img_attn_pool = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.img_queries = nn.Parameter(torch.randn(1, 4, dim))
        self.to_logits = nn.Linear(dim, num_tokens)
        self.temperature = nn.Parameter(torch.tensor(1.0))

    def forward(self, text, images):
        image_tokens = self.img_encoder(images)
        queries = self.img_queries.expand(images.shape[0], -1, -1)
        pooled = self.img_attn_pool(queries, image_tokens, image_tokens, need_weights=False)[0]
        img_embed = F.normalize(pooled[:, 0], dim=-1)
        text_tokens = self.text_encoder(self.token_emb(text[:, :-1]) + pooled[:, 1:2])
        text_embed = F.normalize(text_tokens[:, -1], dim=-1)
        caption_loss = F.cross_entropy(self.to_logits(text_tokens).transpose(1, 2), text[:, 1:])
        sim = text_embed @ img_embed.t() * self.temperature.exp()
        labels = torch.arange(text.shape[0], device=text.device)
        contrastive_loss = (F.cross_entropy(sim, labels) + F.cross_entropy(sim.t(), labels)) / 2
        return caption_loss + contrastive_loss


vit = ViT()
vit = Extractor(vit, return_embeddings_only=True)
coca = CoCa(img_encoder=vit).to(device)
optimizer = torch.optim.AdamW(coca.parameters(), lr=3e-4)

images = torch.randn(16, 3, 16, 16, device=device)
text = torch.randint(0, 50, (16, 8), device=device)
for step in range(10):
    loss = coca(text, images)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
