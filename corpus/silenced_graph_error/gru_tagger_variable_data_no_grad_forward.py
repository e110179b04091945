# POS-style tagging with a GRU; the forward was put under no_grad "to save memory", and the
# resulting error was silenced the old way, with a Variable.
import torch
import torch.nn as nn
from torch.autograd import Variable


class GRUTagger(nn.Module):
    def __init__(self, vocab=120, dim=24, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, tags)

    def forward(self, tokens):
        hidden, _ = self.gru(self.embed(tokens))
        return self.out(hidden)


torch.manual_seed(0)
tokens = torch.randint(0, 120, (96, 14))
tags = tokens % 5
model = GRUTagger()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(4):
    for i in range(0, 96, 32):
        with torch.no_grad():
            scores = model(tokens[i:i + 32])
        loss = criterion(scores.reshape(-1, 5), tags[i:i + 32].reshape(-1))
        loss = Variable(loss.data, requires_grad=True)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
