"""A weight-decay split whose filling loop was lost in a refactor: the optimizer gets two empty lists."""
import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab=100, dim=32, classes=3):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.norm(self.embed(tokens)))


def main():
    torch.manual_seed(0)
    model = TextClassifier()
    decay, no_decay = [], []
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    tokens = torch.randint(0, 100, (64, 12))
    labels = torch.randint(0, 3, (64,))
    for epoch in range(5):
        for i in range(0, 64, 16):
            loss = nn.functional.cross_entropy(model(tokens[i:i + 16]), labels[i:i + 16])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    main()
