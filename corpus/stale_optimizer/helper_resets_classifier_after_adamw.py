"""Sentiment fine-tune of a bag-of-embeddings encoder pretrained on topics: the optimizer is made
first, then a helper resets the last layer of the classifier for the new labels."""
import torch
import torch.nn as nn
import torch.optim as O


class TopicEncoder(nn.Module):
    def __init__(self, vocab=200, dim=24, n_topics=8):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.classifier = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, n_topics))

    def forward(self, tokens, offsets):
        return self.classifier(self.embed(tokens, offsets))


def reset_classifier(net, n_classes):
    """Keep the hidden layer, start the output layer from scratch."""
    last = net.classifier[-1]
    net.classifier[-1] = nn.Linear(last.in_features, n_classes)


def batches(n_batches=5, batch=8, length=6):
    g = torch.Generator().manual_seed(3)
    for _ in range(n_batches):
        tokens = torch.randint(0, 200, (batch * length,), generator=g)
        offsets = torch.arange(0, batch * length, length)
        labels = (tokens.view(batch, length) < 100).sum(1).gt(length // 2).long()
        yield tokens, offsets, labels


def main():
    torch.manual_seed(0)
    encoder = TopicEncoder()
    opt = O.AdamW(encoder.parameters(), lr=2e-3, weight_decay=0.01)
    reset_classifier(encoder, n_classes=2)

    for step, (tokens, offsets, labels) in enumerate(batches()):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(encoder(tokens, offsets), labels)
        loss.backward()
        opt.step()
        print(step, round(loss.item(), 4))


if __name__ == "__main__":
    main()
