"""Extractive question answering on synthetic token sequences: a BiGRU encoder and a span head
whose two output channels are the start and end logits; padding positions are masked out."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SpanExtractor(nn.Module):
    def __init__(self, vocab=50, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.encoder = nn.GRU(dim, dim, batch_first=True, bidirectional=True)
        self.span = nn.Linear(2 * dim, 2)

    def forward(self, tokens, mask):
        h, _ = self.encoder(self.embed(tokens))
        start_logits, end_logits = self.span(h).split(1, dim=-1)
        start_logits = start_logits.squeeze(-1)
        end_logits = end_logits.squeeze(-1)
        start_logits = start_logits.clone()
        start_logits[~mask] = -1e4
        end_logits = end_logits.clone()
        end_logits[~mask] = -1e4
        return start_logits, end_logits


def synthetic_batch(n=16, length=20):
    tokens = torch.randint(1, 50, (n, length))
    lengths = torch.randint(10, length + 1, (n,))
    mask = torch.arange(length)[None, :] < lengths[:, None]
    starts = (torch.rand(n) * (lengths - 3).float()).long()
    return tokens * mask, mask, starts, starts + 2


torch.manual_seed(7)
reader = SpanExtractor()
optimizer = torch.optim.Adam(reader.parameters(), lr=3e-3)
for step in range(30):
    tokens, mask, starts, ends = synthetic_batch()
    start_logits, end_logits = reader(tokens, mask)
    loss = (F.cross_entropy(start_logits, starts) + F.cross_entropy(end_logits, ends)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(step, f"{loss.item():.4f}")
