"""Sentiment classification of synthetic reviews with an embedding-bag encoder whose projection
layers are trained quantisation-aware (int8 weights), under bfloat16 autocast."""
import random

import torch
import torch.nn as nn

from qat_ops import QuantLinear

VOCAB = 500
N_SENTIMENT_WORDS = 40


def make_reviews(n, rng):
    """Reviews of 12-30 tokens; a few polar words decide the label, the rest is filler."""
    positive = list(range(1, N_SENTIMENT_WORDS // 2 + 1))
    negative = list(range(N_SENTIMENT_WORDS // 2 + 1, N_SENTIMENT_WORDS + 1))
    tokens, offsets, labels = [], [], []
    for _ in range(n):
        label = rng.random() < 0.5
        words = [rng.randrange(N_SENTIMENT_WORDS + 1, VOCAB) for _ in range(rng.randint(12, 30))]
        for _ in range(rng.randint(2, 4)):
            words[rng.randrange(len(words))] = rng.choice(positive if label else negative)
        offsets.append(len(tokens))
        tokens.extend(words)
        labels.append(int(label))
    return torch.tensor(tokens), torch.tensor(offsets), torch.tensor(labels)


class SentimentNet(nn.Module):
    def __init__(self, vocab, dim=64, hidden=64, bits=8):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.proj = QuantLinear(dim, hidden, bits=bits)
        self.act = nn.ReLU()
        self.out = QuantLinear(hidden, 2, bits=bits)

    def forward(self, tokens, offsets):
        return self.out(self.act(self.proj(self.bag(tokens, offsets))))


def batches(tokens, offsets, labels, size, rng):
    ends = torch.cat([offsets[1:], torch.tensor([len(tokens)])])
    order = list(range(len(labels)))
    rng.shuffle(order)
    for i in range(0, len(order), size):
        idx = order[i:i + size]
        pieces = [tokens[offsets[j]:ends[j]] for j in idx]
        lengths = torch.tensor([len(p) for p in pieces])
        yield torch.cat(pieces), torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]]), labels[idx]


def main():
    rng = random.Random(17)
    torch.manual_seed(17)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_set = make_reviews(1500, rng)
    model = SentimentNet(VOCAB).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(3):
        correct = seen = 0
        for tokens, offsets, labels in batches(*train_set, size=64, rng=rng):
            tokens, offsets, labels = tokens.to(device), offsets.to(device), labels.to(device)
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
                logits = model(tokens, offsets)
                loss = loss_fn(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(-1) == labels).sum().item()
            seen += len(labels)
        print(f"epoch {epoch}: loss {loss.item():.3f}  train acc {correct / seen:.3f}")


if __name__ == "__main__":
    main()
