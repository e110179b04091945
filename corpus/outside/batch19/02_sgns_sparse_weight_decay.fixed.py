# Skip-gram with negative sampling (word2vec) on a synthetic corpus, sparse embedding gradients.
#
# Reproduces: https://github.com/pytorch/pytorch/issues/1285
# (comment: "Attempting to apply SGD weight decay to a sparse embedding layer currently gives
#  the error ... RuntimeError: add(sparse, dense) is not supported")
#
# Fault (in my words): both embedding tables are built with sparse=True (the usual advice for
# large vocabularies) and trained with plain torch.optim.SGD, but the config also asks SGD for
# L2 regularisation (weight_decay). SGD implements weight decay as grad.add(param, alpha=wd);
# with a sparse gradient that is a sparse + dense add, which is not supported, so the very
# first optimizer.step() fails with
# "RuntimeError: add(sparse, dense) is not supported. Use add(dense, sparse) instead."
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "vocab_size": 2000,
    "dim": 64,
    "corpus_tokens": 24000,
    "window": 2,
    "negatives": 5,
    "batch_size": 512,
    "lr": 5.0,
    "momentum": 0.0,
    "weight_decay": 1e-6,
    "sparse": False,  # dense gradients: SGD weight_decay does not support sparse ones
    "epochs": 2,
}


def make_corpus(n_tokens, vocab, seed=0):
    """Zipf-ish synthetic corpus with topical bursts so co-occurrence carries signal."""
    g = torch.Generator().manual_seed(seed)
    ranks = torch.arange(1, vocab + 1, dtype=torch.float)
    probs = 1.0 / ranks
    probs /= probs.sum()
    tokens = torch.multinomial(probs, n_tokens, replacement=True, generator=g)
    topics = torch.randint(0, 20, (n_tokens // 50,), generator=g)
    for i, t in enumerate(topics.tolist()):
        tokens[i * 50:(i * 50) + 10] = t * 50 + torch.randint(0, 50, (10,), generator=g)
    return tokens, probs


class SkipGramPairs(Dataset):
    def __init__(self, tokens, window):
        centers, contexts = [], []
        for off in range(1, window + 1):
            centers += [tokens[:-off], tokens[off:]]
            contexts += [tokens[off:], tokens[:-off]]
        self.center = torch.cat(centers)
        self.context = torch.cat(contexts)

    def __len__(self):
        return self.center.numel()

    def __getitem__(self, i):
        return self.center[i], self.context[i]


class SkipGram(nn.Module):
    def __init__(self, vocab, dim, sparse):
        super().__init__()
        self.in_embed = nn.Embedding(vocab, dim, sparse=sparse)
        self.out_embed = nn.Embedding(vocab, dim, sparse=sparse)
        bound = 1.0 / math.sqrt(dim)
        nn.init.uniform_(self.in_embed.weight, -bound, bound)
        nn.init.uniform_(self.out_embed.weight, -bound, bound)

    def forward(self, center, context, negatives):
        v = self.in_embed(center)                      # (B, D)
        u_pos = self.out_embed(context)                # (B, D)
        u_neg = self.out_embed(negatives)              # (B, K, D)
        pos = F.logsigmoid((v * u_pos).sum(-1))
        neg = F.logsigmoid(-torch.bmm(u_neg, v.unsqueeze(-1)).squeeze(-1)).sum(-1)
        return -(pos + neg).mean()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


args = parse_args()
torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"

tokens, unigram = make_corpus(CONFIG["corpus_tokens"], CONFIG["vocab_size"], seed=args.seed)
noise_dist = unigram.pow(0.75)
noise_dist /= noise_dist.sum()
pairs = SkipGramPairs(tokens, CONFIG["window"])
loader = DataLoader(pairs, batch_size=CONFIG["batch_size"], shuffle=True, drop_last=True)
print(f"{len(pairs)} skip-gram pairs, {len(loader)} batches per epoch")

model = SkipGram(CONFIG["vocab_size"], CONFIG["dim"], CONFIG["sparse"]).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=CONFIG["momentum"],
                            weight_decay=CONFIG["weight_decay"])
total_steps = args.epochs * len(loader)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: max(0.05, 1.0 - s / total_steps))


@torch.no_grad()
def neighbour_score(model, k=5):
    """Average cosine similarity of each topic word to its topic mates (higher is better)."""
    w = F.normalize(model.in_embed.weight, dim=-1)
    topic = w[:50]
    return (topic @ topic.T).sub(torch.eye(50, device=w.device)).sum().item() / (50 * 49)


step = 0
for epoch in range(args.epochs):
    t0, running = time.time(), 0.0
    for center, context in loader:
        center, context = center.to(device), context.to(device)
        negatives = torch.multinomial(noise_dist, center.numel() * CONFIG["negatives"], replacement=True)
        negatives = negatives.view(-1, CONFIG["negatives"]).to(device)
        loss = model(center, context, negatives)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item()
        step += 1
        if step % 50 == 0:
            print(f"step {step}: loss {running / 50:.4f}  lr {scheduler.get_last_lr()[0]:.3f}")
            running = 0.0
    print(f"epoch {epoch}: topic cosine {neighbour_score(model):.3f}  ({time.time() - t0:.1f}s)")
print("ppl-ish:", math.exp(loss.item()))
