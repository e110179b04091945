"""A GRU language model with tied input and output embeddings, built with sparse=False and trained
by one Adam. Correct: the tie makes the table's gradient dense, and Adam takes it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM = 90, 24


class TiedGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, sparse=False)
        self.rnn = nn.GRU(DIM, DIM, batch_first=True)
        self.proj = nn.Linear(DIM, VOCAB)
        self.proj.weight = self.embed.weight

    def forward(self, x):
        h, _ = self.rnn(self.embed(x))
        return self.proj(h)


torch.manual_seed(0)
model = TiedGRU()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
tokens = torch.randint(0, VOCAB, (48, 11))
for epoch in range(3):
    for i in range(0, 48, 16):
        batch = tokens[i:i + 16]
        loss = F.cross_entropy(model(batch[:, :-1]).reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
