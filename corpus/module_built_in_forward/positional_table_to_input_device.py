"""A tiny sequence classifier whose positional table is a new nn.Parameter moved to the input's
device in forward(), in a helper method, every call."""
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class Encoder(nn.Module):
    def __init__(self, vocab, dim, length):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, 2)

    def add_positions(self, h):
        self.positions = nn.Parameter(torch.zeros(1, 12, 8).to(h.device))
        return h + self.positions

    def forward(self, tokens):
        h = self.add_positions(self.embed(tokens))
        return self.head(h.mean(1))


torch.manual_seed(0)
tokens = torch.randint(0, 50, (32, 12))
labels = (tokens[:, 0] > 25).long()
model = Encoder(50, 8, 12).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(20):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(tokens.to(device)), labels.to(device))
    loss.backward()
    optimizer.step()
