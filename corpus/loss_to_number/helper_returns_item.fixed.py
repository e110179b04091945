"""Sentiment classification over bag-of-words vectors. One helper computes the loss for both
training and validation, and returns loss.item() so that validation can sum it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB = 300


class BagOfWords(nn.Module):
    def __init__(self, vocab=VOCAB, hidden=48):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, hidden, mode="mean")
        self.fc = nn.Linear(hidden, 2)

    def forward(self, tokens, offsets):
        return self.fc(self.embedding(tokens, offsets))


def make_batch(size=16):
    lengths = torch.randint(3, 12, (size,))
    tokens = torch.randint(0, VOCAB, (int(lengths.sum()),))
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    labels = (tokens[offsets] < VOCAB // 2).long()
    return tokens, offsets, labels


def compute_loss(model, batch):
    tokens, offsets, labels = batch
    logits = model(tokens, offsets)
    loss = F.cross_entropy(logits, labels)
    return loss


model = BagOfWords()
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
train = [make_batch() for _ in range(20)]
valid = [make_batch() for _ in range(4)]

for epoch in range(3):
    for step, batch in enumerate(train):
        optimizer.zero_grad()
        loss = compute_loss(model, batch)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        val_loss = sum(compute_loss(model, b) for b in valid) / len(valid)
    print(f"epoch {epoch}: validation loss {val_loss:.4f}")
