"""CLIP-style alignment of synthetic "images" and "captions": the image tower trains, the text
encoder is pretrained and frozen, and a projection maps its features into the shared space. The
text helper was decorated with no_grad for the frozen encoder's sake, and the projection sits in it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, WORDS, PIXELS, DIM = 48, 6, 48, 24


class TextEncoder(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.embed = nn.EmbeddingBag(VOCAB, width, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.Tanh())

    def forward(self, ids):
        return self.mlp(self.embed(ids))


class Aligner(nn.Module):
    def __init__(self, text_encoder, width=32):
        super().__init__()
        self.text_encoder = text_encoder
        self.text_proj = nn.Linear(width, DIM, bias=False)
        self.image_tower = nn.Sequential(nn.Linear(PIXELS, 64), nn.ReLU(), nn.Linear(64, DIM))
        self.log_temp = nn.Parameter(torch.tensor(2.0))

    @torch.no_grad()
    def encode_text(self, ids):
        feats = self.text_encoder(ids)
        return F.normalize(self.text_proj(feats), dim=-1)

    def forward(self, pixels, ids):
        img = F.normalize(self.image_tower(pixels), dim=-1)
        txt = self.encode_text(ids)
        return img @ txt.t() * self.log_temp.exp()


def pairs(n=32):
    ids = torch.randint(0, VOCAB, (n, WORDS))
    pixels = F.one_hot(ids, VOCAB).float().sum(1)[:, :PIXELS] + 0.1 * torch.randn(n, PIXELS)
    return pixels, ids


torch.manual_seed(0)
text_encoder = TextEncoder()
text_encoder.load_state_dict(TextEncoder().state_dict())
text_encoder.requires_grad_(False)
model = Aligner(text_encoder)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
for step in range(100):
    pixels, ids = pairs()
    logits = model(pixels, ids)
    labels = torch.arange(len(ids))
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final contrastive loss {loss.item():.3f}")
