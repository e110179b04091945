"""Frozen pretrained word vectors (from_pretrained freezes by default, which is what is wanted
here) in a model whose optimizer is simply given model.parameters(): Adam skips the frozen table.
Correct: no group was made for the vectors, nothing says they should train."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CNNText(nn.Module):
    def __init__(self, vectors, classes=3):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors)
        self.conv = nn.Conv1d(vectors.size(1), 16, 3, padding=1)
        self.fc = nn.Linear(16, classes)

    def forward(self, tokens):
        h = F.relu(self.conv(self.embedding(tokens).transpose(1, 2)))
        return self.fc(h.amax(2))


torch.manual_seed(0)
vectors = torch.randn(400, 25)  # stand-in for word2vec vectors
model = CNNText(vectors)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
tokens = torch.randint(0, 400, (96, 14))
labels = tokens[:, 0] % 3
for epoch in range(3):
    for i in range(0, 96, 32):
        loss = F.cross_entropy(model(tokens[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
