import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

VOCAB, DIM, NEGATIVES = 300, 24, 5


class SkipGram(nn.Module):
    """Center and context vectors; sparse embeddings, as in the classic word2vec recipes."""

    def __init__(self, vocab, dim):
        super().__init__()
        self.center = nn.Embedding(vocab, dim, sparse=True)
        self.context = nn.Embedding(vocab, dim, sparse=True)
        nn.init.uniform_(self.center.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.context.weight)

    def forward(self, center, context, negatives):
        c = self.center(center)
        pos = (c * self.context(context)).sum(-1)
        neg = torch.bmm(self.context(negatives), c.unsqueeze(2)).squeeze(2)
        return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(1)).mean()


def pairs(corpus, window=2):
    out = []
    for i, word in enumerate(corpus):
        for j in range(max(0, i - window), min(len(corpus), i + window + 1)):
            if j != i:
                out.append((word, corpus[j]))
    return torch.tensor(out)


def main():
    torch.manual_seed(0)
    corpus = torch.randint(0, VOCAB, (600,)).tolist()
    data = pairs(corpus)
    model = SkipGram(VOCAB, DIM)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for epoch in range(3):
        for start in range(0, len(data), 256):
            batch = data[start:start + 256]
            negatives = torch.randint(0, VOCAB, (len(batch), NEGATIVES))
            loss = model(batch[:, 0], batch[:, 1], negatives)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
