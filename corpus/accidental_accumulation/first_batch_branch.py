import torch
import torch.nn as nn
import torch.nn.functional as F


class TextClassifier(nn.Module):
    def __init__(self, vocab=500, dim=32, classes=3):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.proj = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.proj(self.embed(tokens))


def batches(tokens, labels, size):
    for start in range(0, len(tokens), size):
        yield tokens[start : start + size], labels[start : start + size]


def train_epoch(model, optimizer, tokens, labels):
    model.train()
    for i, (batch, target) in enumerate(batches(tokens, labels, 16)):
        if i == 0:
            optimizer.zero_grad()
        logits = model(batch)
        loss = F.cross_entropy(logits, target)
        loss.backward()
        optimizer.step()
    return loss.item()


if __name__ == "__main__":
    torch.manual_seed(3)
    tokens = torch.randint(0, 500, (160, 12))
    labels = torch.randint(0, 3, (160,))
    net = TextClassifier()
    optimizer = torch.optim.RMSprop(net.parameters(), lr=1e-3)
    for epoch in range(4):
        print(epoch, train_epoch(net, optimizer, tokens, labels))
