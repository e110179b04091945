# Two stacked LSTMCells for character-level modelling; the per-layer (h, c) states are kept in a
# list and carried across consecutive chunks of the text.
import torch
import torch.nn as nn

text = "the quick brown fox jumps over the lazy dog " * 8
vocab = sorted(set(text))
ids = torch.tensor([vocab.index(ch) for ch in text])


class StackedLSTM(nn.Module):
    def __init__(self, n_vocab, dim=32, layers=2):
        super().__init__()
        self.embed = nn.Embedding(n_vocab, dim)
        self.cells = nn.ModuleList(nn.LSTMCell(dim, dim) for _ in range(layers))
        self.out = nn.Linear(dim, n_vocab)

    def forward(self, token, states):
        x = self.embed(token)
        new_states = []
        for cell, (h, c) in zip(self.cells, states):
            h, c = cell(x, (h, c))
            new_states.append((h, c))
            x = h
        return self.out(x), new_states


model = StackedLSTM(len(vocab))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
states = [(torch.zeros(1, 32), torch.zeros(1, 32)) for _ in range(2)]
for start in range(0, len(ids) - 21, 20):
    chunk = ids[start : start + 21]
    loss = 0.0
    for t in range(20):
        logits, states = model(chunk[t : t + 1], states)
        loss = loss + nn.functional.cross_entropy(logits, chunk[t + 1 : t + 2])
    optimizer.zero_grad()
    (loss / 20).backward()
    optimizer.step()
    states = [tuple(t.detach() for t in states[0]), tuple(t.detach() for t in states[1])]
