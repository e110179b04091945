# Character-level next-step prediction with an LSTMCell unrolled by hand; the cell's h and c are
# kept from one chunk of text to the next.
import torch
import torch.nn as nn

torch.manual_seed(0)
text = "the quick brown fox jumps over the lazy dog " * 20
chars = sorted(set(text))
ids = torch.tensor([chars.index(c) for c in text])

embed = nn.Embedding(len(chars), 12)
cell = nn.LSTMCell(12, 40)
head = nn.Linear(40, len(chars))
params = list(embed.parameters()) + list(cell.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=5e-3)

h = torch.zeros(1, 40)
c = torch.zeros(1, 40)
chunk = 10
for start in range(0, 200, chunk):
    loss = 0.0
    for t in range(start, start + chunk):
        h, c = cell(embed(ids[t : t + 1]), (h, c))
        loss = loss + nn.functional.cross_entropy(head(h), ids[t + 1 : t + 2])
    opt.zero_grad()
    (loss / chunk).backward()
    opt.step()
    print(start, round(loss.item() / chunk, 3))
