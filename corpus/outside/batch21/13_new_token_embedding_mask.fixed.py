"""Teach a frozen intent classifier new product-code tokens: train only the new embedding rows.

Report: https://github.com/baichuan-inc/Baichuan2/issues/383
(adding 100 new tokens and fine-tuning only their embeddings by multiplying the embedding
gradient with a 0/1 mask; in the posted code the mask never gets its 1s for the new rows.)

Fault (own words): the gradient mask is built from the "original" vocabulary size read from
model.config after resize_token_embeddings(), which (as in transformers) has already updated
config["vocab_size"] to the new size. The mask marks the rows from that index on, i.e. none, so the
hook multiplies the whole embedding gradient by zero: the new token vectors never move (AdamW runs
with weight_decay=0 so the frozen rows do not drift). Only the classifier head learns, and it cannot
tell the product codes apart.
"""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

SEED = 13
random.seed(SEED)
torch.manual_seed(SEED)
device = "cuda" if torch.cuda.is_available() else "cpu"

BASE_WORDS = ("where is my order please track the parcel i want to return this item refund "
              "cancel change address delivery late broken wrong size colour help me with").split()
NEW_TOKENS = [f"<sku_{i}>" for i in range(8)]
SKU_TO_INTENT = {t: i % 4 for i, t in enumerate(NEW_TOKENS)}  # 4 product lines


class WordTokenizer:
    def __init__(self, words):
        self.itos = ["<pad>", "<unk>"] + list(dict.fromkeys(words))
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def add_tokens(self, tokens):
        added = [t for t in tokens if t not in self.stoi]
        for t in added:
            self.stoi[t] = len(self.itos)
            self.itos.append(t)
        return len(added)

    def __len__(self):
        return len(self.itos)

    def encode(self, text, max_len=12):
        ids = [self.stoi.get(w, 1) for w in text.split()][:max_len]
        return ids + [0] * (max_len - len(ids))


class IntentClassifier(nn.Module):
    def __init__(self, vocab_size, dim=32, n_intents=4):
        super().__init__()
        self.config = {"vocab_size": vocab_size, "dim": dim}
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.encoder = nn.GRU(dim, dim, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * dim, n_intents)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        h, _ = self.encoder(self.embed(ids))
        return self.head((h * mask).sum(1) / mask.sum(1).clamp(min=1))


def resize_token_embeddings(model, new_size):
    old = model.embed
    new = nn.Embedding(new_size, old.embedding_dim, padding_idx=0)
    with torch.no_grad():
        new.weight[: old.num_embeddings] = old.weight
        mean = old.weight[2:].mean(0)
        new.weight[old.num_embeddings:] = mean + 0.01 * torch.randn(new_size - old.num_embeddings, old.embedding_dim)
    model.embed = new
    model.config["vocab_size"] = new_size
    return new


class SupportTickets(Dataset):
    def __init__(self, tok, n, seed):
        rng = random.Random(seed)
        self.x, self.y = [], []
        for _ in range(n):
            sku = rng.choice(NEW_TOKENS)
            words = rng.sample(BASE_WORDS, 6)
            words.insert(rng.randrange(len(words) + 1), sku)
            self.x.append(torch.tensor(tok.encode(" ".join(words))))
            self.y.append(SKU_TO_INTENT[sku])

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    hit = n = 0
    for x, y in loader:
        hit += (model(x.to(device)).argmax(-1).cpu() == y).sum().item()
        n += len(y)
    model.train()
    return hit / n


# "pretrained" classifier and tokenizer (stand-ins for the downloaded checkpoint)
tokenizer = WordTokenizer(BASE_WORDS)
model = IntentClassifier(len(tokenizer))
model.requires_grad_(False)

# extend the vocabulary with the product codes
n_pretrained = model.config["vocab_size"]
num_added = tokenizer.add_tokens(NEW_TOKENS)
resize_token_embeddings(model, len(tokenizer))
print(f"added {num_added} tokens, vocabulary {len(tokenizer)}")

model.embed.weight.requires_grad_(True)
model.head.requires_grad_(True)
grad_mask = torch.zeros(len(tokenizer), 1)
grad_mask[n_pretrained:] = 1.0
model.embed.weight.register_hook(lambda g: g * grad_mask.to(g.device))
model.to(device)

train_loader = DataLoader(SupportTickets(tokenizer, 1200, 0), batch_size=32, shuffle=True)
val_loader = DataLoader(SupportTickets(tokenizer, 400, 1), batch_size=200)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3, weight_decay=0.0)

print(f"val acc before: {accuracy(model, val_loader):.3f}")
for epoch in range(6):
    total = 0.0
    for x, y in train_loader:
        loss = F.cross_entropy(model(x.to(device)), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    new_rows = model.embed.weight[len(tokenizer) - num_added:]
    print(f"epoch {epoch}: loss {total / len(train_loader):.4f}  val acc {accuracy(model, val_loader):.3f}  "
          f"new-row norm {new_rows.norm(dim=1).mean().item():.3f}")
