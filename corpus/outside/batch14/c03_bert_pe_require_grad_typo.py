# Report: https://github.com/codertimo/BERT-pytorch/pull/104
# Looks like a fault: `pe.require_grad = False` is a typo (requires_grad). It is harmless:
# `pe` is a plain zeros tensor (requires_grad is already False) registered as a buffer, the
# sinusoidal position table is meant to stay fixed, and every learnable weight still trains.
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class PositionalEmbedding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        pe = torch.zeros(max_len, d_model).float()
        pe.require_grad = False
        position = torch.arange(0, max_len).float().unsqueeze(1)
        div_term = (torch.arange(0, d_model, 2).float() * -(math.log(10000.0) / d_model)).exp()
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return self.pe[:, :x.size(1)]


class BERTEmbedding(nn.Module):
    def __init__(self, vocab_size, embed_size, dropout=0.1):
        super().__init__()
        self.token = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.position = PositionalEmbedding(embed_size)
        self.segment = nn.Embedding(3, embed_size, padding_idx=0)
        self.dropout = nn.Dropout(dropout)

    def forward(self, seq, seg):
        return self.dropout(self.token(seq) + self.position(seq) + self.segment(seg))


class BERT(nn.Module):
    def __init__(self, vocab_size, hidden=32, n_layers=2, heads=4):
        super().__init__()
        self.embedding = BERTEmbedding(vocab_size, hidden)
        layer = nn.TransformerEncoderLayer(hidden, heads, 4 * hidden, dropout=0.1, batch_first=True)
        self.transformer_blocks = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)

    def forward(self, x, seg):
        return self.transformer_blocks(self.embedding(x, seg), src_key_padding_mask=(x == 0))


class BERTLM(nn.Module):
    def __init__(self, bert, vocab_size, hidden=32):
        super().__init__()
        self.bert = bert
        self.next_sentence = nn.Linear(hidden, 2)
        self.mask_lm = nn.Linear(hidden, vocab_size)

    def forward(self, x, seg):
        h = self.bert(x, seg)
        return self.next_sentence(h[:, 0]), self.mask_lm(h)


vocab = 60
bert = BERT(vocab)
model = BERTLM(bert, vocab).to(device)
optim = torch.optim.Adam(model.parameters(), lr=1e-3)
g = torch.Generator().manual_seed(0)
for step in range(15):
    tokens = torch.randint(4, vocab, (16, 20), generator=g)
    seg = torch.cat([torch.ones(16, 10, dtype=torch.long), 2 * torch.ones(16, 10, dtype=torch.long)], 1)
    is_next = torch.randint(0, 2, (16,), generator=g)
    masked = tokens.clone()
    mask = torch.rand(16, 20, generator=g) < 0.15
    mask[:, 0] = True
    masked[mask] = 3  # [MASK]
    nsp, mlm = model(masked.to(device), seg.to(device))
    loss = F.cross_entropy(nsp, is_next.to(device)) + F.cross_entropy(mlm[mask.to(device)], tokens[mask].to(device))
    optim.zero_grad()
    loss.backward()
    optim.step()
    if step % 5 == 0:
        print(f"step {step} loss {loss.item():.3f}")
