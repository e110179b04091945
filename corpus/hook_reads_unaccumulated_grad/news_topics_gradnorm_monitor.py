"""Bag-of-words topic classifier for short news headlines (synthetic vocabulary), with a
per-layer gradient-norm monitor to spot exploding layers early in training."""
from collections import defaultdict
import random
import statistics

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 2024
TOPICS = ["sport", "markets", "science", "politics", "weather"]
VOCAB_SIZE = 600
WORDS_PER_TOPIC = 40

random.seed(SEED)
torch.manual_seed(SEED)


def make_headlines(n):
    """Each headline mixes words of its topic with words from the shared pool."""
    docs, labels = [], []
    for _ in range(n):
        topic = random.randrange(len(TOPICS))
        start = 100 + topic * WORDS_PER_TOPIC
        length = random.randint(5, 12)
        words = [
            random.randrange(start, start + WORDS_PER_TOPIC) if random.random() < 0.45 else random.randrange(1, 100)
            for _ in range(length)
        ]
        docs.append(torch.tensor(words))
        labels.append(topic)
    return docs, torch.tensor(labels)


def collate(docs):
    offsets = torch.tensor([0] + [len(d) for d in docs[:-1]]).cumsum(0)
    return torch.cat(docs), offsets


class HeadlineClassifier(nn.Module):
    def __init__(self, vocab_size, dim, n_classes):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, dim, mode="mean")
        self.proj = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, n_classes)

    def forward(self, tokens, offsets):
        h = self.embed(tokens, offsets)
        h = F.gelu(self.proj(h))
        return self.out(h)


def grad_norm_monitor(name, log):
    def record(module, grad_input, grad_output):
        for weight in module.parameters():
            log[name].append(weight.grad.norm().item())

    return record


def report(log):
    for name, values in sorted(log.items()):
        print(f"  {name:>6}: mean grad norm {statistics.fmean(values):.4f}, max {max(values):.4f}")
    log.clear()


def train():
    docs, labels = make_headlines(1500)
    model = HeadlineClassifier(VOCAB_SIZE, 32, len(TOPICS))
    optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)

    grad_log = defaultdict(list)
    for name, module in model.named_children():
        module.register_backward_hook(grad_norm_monitor(name, grad_log))

    order = list(range(1200))
    for epoch in range(3):
        random.shuffle(order)
        losses = []
        for i in range(0, len(order), 50):
            idx = order[i:i + 50]
            tokens, offsets = collate([docs[j] for j in idx])
            logits = model(tokens, offsets)
            loss = F.cross_entropy(logits, labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        tokens, offsets = collate(docs[1200:])
        with torch.no_grad():
            acc = (model(tokens, offsets).argmax(-1) == labels[1200:]).float().mean()
        print(f"epoch {epoch}: loss {statistics.fmean(losses):.3f}, held-out accuracy {acc:.3f}")
        report(grad_log)


train()
