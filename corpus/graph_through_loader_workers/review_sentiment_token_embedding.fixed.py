# Sentiment classifier for short synthetic product reviews. The Dataset tokenizes each review with
# a tiny word-level vocabulary and looks the tokens up in an embedding table (trained with the
# classifier), returning the mean of the word vectors. Training and validation sets are each read
# by a DataLoader with two workers; validation accuracy is printed after every epoch.
import random

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

POSITIVE = ["great", "love", "excellent", "sturdy", "fast", "perfect"]
NEGATIVE = ["broken", "slow", "awful", "refund", "cheap", "late"]
NEUTRAL = ["the", "box", "item", "it", "was", "arrived", "and", "very", "phone", "case"]


class EmbeddingTokenizer(nn.Module):
    def __init__(self, words, dim):
        super().__init__()
        self.index = {w: i + 1 for i, w in enumerate(words)}
        self.embed = nn.Embedding(len(words) + 1, dim)

    def forward(self, text):
        ids = torch.tensor([self.index.get(w, 0) for w in text.split()])
        return self.embed(ids).mean(0)


class Reviews(Dataset):
    def __init__(self, n, tokenizer, seed):
        rng = random.Random(seed)
        self.items = []
        for _ in range(n):
            label = rng.randint(0, 1)
            words = rng.sample(NEUTRAL, 5) + rng.sample(POSITIVE if label else NEGATIVE, 2)
            rng.shuffle(words)
            self.items.append((" ".join(words), label))
        self.tokenizer = tokenizer

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        text, label = self.items[i]
        return self.tokenizer(text), torch.tensor(label)


if __name__ == "__main__":
    torch.manual_seed(0)
    tokenizer = EmbeddingTokenizer(POSITIVE + NEGATIVE + NEUTRAL, 16)
    train_loader = DataLoader(Reviews(256, tokenizer, seed=1), batch_size=32, shuffle=True, num_workers=0)
    val_loader = DataLoader(Reviews(64, tokenizer, seed=2), batch_size=64, num_workers=0)
    classifier = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 2))
    optimizer = torch.optim.Adam([*classifier.parameters(), *tokenizer.parameters()], lr=1e-2)

    for epoch in range(3):
        classifier.train()
        for vectors, labels in train_loader:
            loss = nn.functional.cross_entropy(classifier(vectors), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        classifier.eval()
        with torch.no_grad():
            correct = sum((classifier(v).argmax(1) == y).sum().item() for v, y in val_loader)
        print(f"epoch {epoch}: train loss {loss.item():.3f} val acc {correct / 64:.2f}")
