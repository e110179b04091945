"""Visual question answering with a frozen language model whose forward takes both the token ids
and extra embeddings, which it adds to the token embeddings (a visual-token adapter writes the image
into the <image> slots). Only the adapter and the answer head train."""
from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F


@dataclass
class Cfg:
    vocab: int = 64
    dim: int = 32
    image_slots: int = 4
    feat_dim: int = 20
    answers: int = 4
    steps: int = 60
    batch: int = 32


cfg = Cfg()
IMAGE_TOKEN = 3
torch.manual_seed(4)


class FrozenLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(c.vocab, c.dim)
        self.pos = nn.Parameter(torch.randn(1, 32, c.dim) * 0.02)
        self.body = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(c.dim, 4, 64, dropout=0.0, batch_first=True), 2, enable_nested_tensor=False
        )

    def forward(self, input_ids, extra_embeds=None, attention_mask=None):
        hidden = self.embed(input_ids)
        if extra_embeds is not None:
            hidden = hidden + extra_embeds
        hidden = hidden + self.pos[:, : hidden.size(1)]
        keep = None if attention_mask is None else attention_mask == 0
        return self.body(hidden, src_key_padding_mask=keep)


class VisualAdapter(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(c.feat_dim, 64), nn.GELU(), nn.Linear(64, c.image_slots * c.dim))
        self.c = c

    def forward(self, image_feats, input_ids):
        tokens = self.proj(image_feats).view(-1, self.c.image_slots, self.c.dim)
        slots = torch.zeros(input_ids.size(0), input_ids.size(1), self.c.dim)
        slots[:, : self.c.image_slots] = tokens
        return slots * (input_ids == IMAGE_TOKEN).unsqueeze(-1)


class VQAModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.lm = FrozenLM(c).requires_grad_(False)
        self.adapter = VisualAdapter(c)
        self.answer_head = nn.Linear(c.dim, c.answers)

    def forward(self, image_feats, input_ids, attention_mask):
        visual = self.adapter(image_feats, input_ids)
        hidden = self.lm(input_ids=input_ids, extra_embeds=visual, attention_mask=attention_mask)
        return self.answer_head(hidden[:, -1])


def make_batch(n):
    """The answer is which of 4 feature prototypes the image is near; the question is filler."""
    answers = torch.randint(cfg.answers, (n,))
    prototypes = torch.eye(cfg.answers, cfg.feat_dim) * 3
    feats = prototypes[answers] + torch.randn(n, cfg.feat_dim)
    question = torch.randint(10, cfg.vocab, (n, 8))
    ids = torch.cat([torch.full((n, cfg.image_slots), IMAGE_TOKEN), question], dim=1)
    return feats, ids, torch.ones_like(ids), answers


model = VQAModel(cfg)
opt = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=3e-3)
for step in range(cfg.steps):
    feats, ids, mask, answers = make_batch(cfg.batch)
    logits = model(feats, ids, mask)
    loss = F.cross_entropy(logits, answers)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if (step + 1) % 20 == 0:
        print(f"step {step + 1}: loss {loss.item():.3f} acc {(logits.argmax(1) == answers).float().mean():.2f}")
