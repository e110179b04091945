"""A character-level tagger whose output layer shares the input table. The model takes
`sparse=True` by default, and the set-up sends every sparse embedding to SparseAdam."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Adam, SparseAdam


class CharTagger(nn.Module):
    def __init__(self, chars, dim, sparse=True):
        super().__init__()
        self.chars = nn.Embedding(chars, dim, sparse=sparse)
        self.conv = nn.Conv1d(dim, dim, 3, padding=1)
        self.out = nn.Linear(dim, chars, bias=False)
        self.out.weight = self.chars.weight

    def forward(self, x):
        h = self.conv(self.chars(x).transpose(1, 2)).relu().transpose(1, 2)
        return self.out(h)


def make_optimizers(model):
    sparse = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse}
    tables = [p for p in model.parameters() if id(p) in sparse]
    dense = [p for p in model.parameters() if id(p) not in sparse]
    return ([SparseAdam(tables, lr=2e-3)] if tables else []) + [Adam(dense, lr=2e-3)]


torch.manual_seed(0)
model = CharTagger(40, 24)
optimizers = make_optimizers(model)
text = torch.randint(0, 40, (48, 10))
for epoch in range(3):
    for i in range(0, 48, 12):
        x = text[i:i + 12]
        loss = F.cross_entropy(model(x).reshape(-1, 40), x.roll(1, 1).reshape(-1))
        for o in optimizers:
            o.zero_grad()
        loss.backward()
        for o in optimizers:
            o.step()
    print(epoch, loss.item())
