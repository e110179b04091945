# Bag-of-embeddings intent classifier for short support messages (token ids from a toy vocabulary).
import argparse

import torch
from torch import nn, optim


class IntentClassifier(nn.Module):
    def __int__(self, vocab_size, embed_dim, n_intents):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.classifier = nn.Sequential(nn.Linear(embed_dim, 64), nn.GELU(), nn.Linear(64, n_intents))

    def forward(self, tokens, offsets):
        return self.classifier(self.embedding(tokens, offsets))


def random_messages(n, vocab_size, n_intents):
    lengths = torch.randint(3, 12, (n,))
    tokens = torch.randint(1, vocab_size, (int(lengths.sum()),))
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    intents = torch.randint(0, n_intents, (n,))
    return tokens, offsets, intents


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = IntentClassifier(args.vocab, args.dim, 6)
    model.embedding.weight.requires_grad_(False)
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(args.epochs):
        for _ in range(20):
            tokens, offsets, intents = random_messages(32, args.vocab, 6)
            optimizer.zero_grad()
            loss = loss_fn(model(tokens, offsets), intents)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
