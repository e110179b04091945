"""A sentiment classifier defined inside main(); the typo `_init_` is copied into the base
constructor call, so neither is ever run."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def main():
    class BagOfWords(nn.Module):
        def _init_(self, vocab_size=200, dim=24, n_classes=3):
            super(BagOfWords, self)._init_()
            self.embed = nn.EmbeddingBag(vocab_size, dim, mode="mean")
            self.classify = nn.Linear(dim, n_classes)

        def forward(self, tokens):
            return self.classify(F.relu(self.embed(tokens)))

    torch.manual_seed(3)
    model = BagOfWords()
    trainable = filter(lambda p: p.requires_grad, model.parameters())
    optimizer = torch.optim.Adam(trainable, lr=5e-3)
    tokens = torch.randint(0, 200, (32, 10))
    labels = tokens[:, 0] % 3
    for epoch in range(6):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens), labels)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    main()
