"""Textual inversion against a frozen text encoder: learn one new token's embedding (correct script).

Reference: https://github.com/huggingface/diffusers/pull/855
("[Textual Inversion] Correctly freeze token embeddings": zeroing the gradient of the original rows
is not enough with AdamW's weight decay, so the original rows are restored after every step.)

Looks wrong but is right: the whole text encoder is frozen with requires_grad_(False) and only the
token-embedding weight is switched back on; a gradient hook zeroes the gradient of every original
vocabulary row; after each optimizer step the original rows are copied back under no_grad; the
target features are computed under no_grad and detached; evaluation runs under no_grad. The
placeholder row (and so the embedding weight) is trained, and the loss falls.
"""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

SETTINGS = dict(dim=40, steps=240, lr=5e-3, weight_decay=1e-2, batch=16, seed=4,
                placeholder="<my-mug>", initializer="cup")
random.seed(SETTINGS["seed"])
torch.manual_seed(SETTINGS["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"

WORDS = ("a photo of the small big red blue green cup mug bowl plate on table desk with "
         "handle in kitchen office rendering picture close up my").split()
TEMPLATES = ["a photo of {}", "a picture of the {}", "a close up photo of my {}",
             "a rendering of a {}", "a photo of the {} on the table", "a {} in the kitchen"]


class Vocab:
    def __init__(self, words):
        self.itos = ["<pad>"] + sorted(set(words))
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def add(self, token):
        self.stoi[token] = len(self.itos)
        self.itos.append(token)
        return self.stoi[token]

    def __call__(self, texts, length=10):
        rows = [[self.stoi[w] for w in t.split()][:length] for t in texts]
        return torch.tensor([r + [0] * (length - len(r)) for r in rows])


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, dim):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(10, dim) * 0.1)
        self.mix = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.ln = nn.LayerNorm(dim)

    def forward(self, ids):
        x = self.token_embedding(ids) + self.pos
        x = self.ln(x + self.mix(x))
        keep = (ids != 0).unsqueeze(-1).float()
        return F.normalize((x * keep).sum(1) / keep.sum(1), dim=-1)


vocab = Vocab(WORDS)
encoder = TextEncoder(len(vocab.itos) + 1, SETTINGS["dim"]).to(device)   # one spare row for the placeholder
encoder.requires_grad_(False)

placeholder_id = vocab.add(SETTINGS["placeholder"])
with torch.no_grad():
    emb = encoder.token_embedding.weight
    emb[placeholder_id] = emb[vocab.stoi[SETTINGS["initializer"]]]
orig_embeds = encoder.token_embedding.weight.detach().clone()

# the concept to invert: what the encoder says about "red mug with handle" phrases
with torch.no_grad():
    target = encoder(vocab(["a photo of the red mug with handle", "a red mug with handle on the desk"]).to(device)).mean(0)
    target = F.normalize(target, dim=0).detach()

encoder.token_embedding.weight.requires_grad_(True)
keep_fixed = torch.ones(len(vocab.itos), 1, device=device)
keep_fixed[placeholder_id] = 0.0
encoder.token_embedding.weight.register_hook(lambda g: g * (1.0 - keep_fixed))
optimizer = torch.optim.AdamW([encoder.token_embedding.weight], lr=SETTINGS["lr"], weight_decay=SETTINGS["weight_decay"])


def batch_prompts(n):
    return [random.choice(TEMPLATES).format(SETTINGS["placeholder"]) for _ in range(n)]


@torch.no_grad()
def similarity():
    feats = encoder(vocab([t.format(SETTINGS["placeholder"]) for t in TEMPLATES]).to(device))
    return (feats @ target).mean().item()


print(f"similarity to target before: {similarity():.3f}")
for step in range(SETTINGS["steps"]):
    ids = vocab(batch_prompts(SETTINGS["batch"])).to(device)
    loss = 1.0 - (encoder(ids) @ target).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():   # undo the weight decay on the original vocabulary rows
        index_no_updates = torch.arange(len(vocab.itos), device=device) != placeholder_id
        encoder.token_embedding.weight[index_no_updates] = orig_embeds[index_no_updates]
    if step % 40 == 0:
        print(f"step {step:03d} loss {loss.item():.4f}")

drift = (encoder.token_embedding.weight - orig_embeds).norm(dim=1)
print(f"similarity after: {similarity():.3f}; placeholder moved {drift[placeholder_id].item():.3f}, "
      f"other rows moved {drift[torch.arange(len(drift)) != placeholder_id].max().item():.1e}")
