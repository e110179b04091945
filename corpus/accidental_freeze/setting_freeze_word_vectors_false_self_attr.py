"""Character-aware tagger: word vectors from a pretrained table, a char CNN, a tagging head. The
trainer's options say not to freeze the word vectors; the table is built as a frozen parameter."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Options:
    def __init__(self):
        self.words = 150
        self.chars = 40
        self.dim = 16
        self.tags = 6
        self.freeze_word_vectors = False


class Tagger(nn.Module):
    def __init__(self, opts, table):
        super().__init__()
        self.word_vectors = nn.Parameter(table.clone(), requires_grad=False)
        self.char_embed = nn.Embedding(opts.chars, 8)
        self.char_conv = nn.Conv1d(8, opts.dim, 3, padding=1)
        self.head = nn.Linear(2 * opts.dim, opts.tags)

    def forward(self, words, chars):
        w = self.word_vectors[words]
        c = self.char_conv(self.char_embed(chars).transpose(1, 2)).max(-1).values
        return self.head(torch.cat([w, c], -1))


torch.manual_seed(0)
opts = Options()
model = Tagger(opts, torch.randn(opts.words, opts.dim))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
words = torch.randint(0, opts.words, (64,))
chars = torch.randint(0, opts.chars, (64, 7))
tags = words % opts.tags
for step in range(12):
    loss = F.cross_entropy(model(words, chars), tags)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
