"""Sentiment classifier: a pretrained-style encoder at a small learning rate, the new head at a larger one."""
import torch
import torch.nn as nn
from torch.optim import Adam

torch.manual_seed(0)
VOCAB, EMBED, HIDDEN = 100, 16, 24


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBED)
        self.encoder = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.classifier = nn.Sequential(nn.Dropout(0.1), nn.Linear(HIDDEN, 2))

    def forward(self, tokens):
        _, hidden = self.encoder(self.embedding(tokens))
        return self.classifier(hidden[-1])


model = GRUClassifier()
optimizer = Adam(
    [
        {"params": [p for p in model.parameters() if all(p is not q for q in model.classifier.parameters())]},
        {"params": model.classifier.parameters(), "lr": 1e-3},
    ],
    lr=1e-4,
)
criterion = nn.CrossEntropyLoss()

tokens = torch.randint(0, VOCAB, (40, 12))
labels = torch.randint(0, 2, (40,))
for epoch in range(4):
    model.train()
    for start in range(0, 40, 10):
        logits = model(tokens[start : start + 10])
        loss = criterion(logits, labels[start : start + 10])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
