# DeepCoNN (review-based rating prediction) ported from the TensorFlow reference to PyTorch.
#
# Reproduces: https://github.com/chenchongthu/DeepCoNN/issues/20
# ("Dropout rate": the reference calls tf.nn.dropout(h_pool_flat_u, 1.0))
#
# What goes wrong (in my words): in the TF code the second argument of tf.nn.dropout is the
# KEEP probability, so 1.0 means "no dropout". The port copies the number into the config as
# "dropout": 1.0 and builds nn.Dropout(cfg["dropout"]), where the argument is the DROP
# probability. In training mode every pooled review feature is zeroed, so the user and item
# review CNNs (and the FM factors that read their output) get exactly zero gradients and never
# change; only the FM biases move, and the loss flattens out at roughly the global mean rating.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "vocab": 400, "word_dim": 32, "doc_len": 60, "filters": 32, "kernel": 3,
    "latent": 16, "fm_k": 8,
    "dropout": 1.0,          # same value as the TF reference: tf.nn.dropout(h, 1.0)
    "lr": 2e-3, "l2": 0.0,
}


class ReviewRatings(Dataset):
    """Each example: (user review document, item review document, rating)."""

    def __init__(self, n_users, n_items, n_pairs, cfg, seed=0, pair_seed=1):
        g = torch.Generator().manual_seed(seed)
        self.user_taste = torch.randn(n_users, 4, generator=g)
        self.item_prof = torch.randn(n_items, 4, generator=g)
        # words 0..99 carry "taste" topics, the rest are filler
        topic_words = torch.randint(1, 100, (4, 25), generator=g)
        self.user_docs = self._docs(self.user_taste, topic_words, cfg, g)
        self.item_docs = self._docs(self.item_prof, topic_words, cfg, g)
        gp = torch.Generator().manual_seed(pair_seed)
        self.u = torch.randint(0, n_users, (n_pairs,), generator=gp)
        self.i = torch.randint(0, n_items, (n_pairs,), generator=gp)
        score = (self.user_taste[self.u] * self.item_prof[self.i]).sum(1)
        self.r = (3.0 + score.clamp(-2, 2)).round().clamp(1, 5)

    @staticmethod
    def _docs(weights, topic_words, cfg, g):
        n = weights.shape[0]
        probs = torch.softmax(weights, dim=1)
        docs = torch.randint(100, cfg["vocab"], (n, cfg["doc_len"]), generator=g)
        for row in range(n):
            topics = torch.multinomial(probs[row], cfg["doc_len"] // 2, replacement=True, generator=g)
            pos = torch.randperm(cfg["doc_len"], generator=g)[: cfg["doc_len"] // 2]
            docs[row, pos] = topic_words[topics, torch.randint(0, 25, (len(topics),), generator=g)]
        return docs

    def __len__(self):
        return len(self.r)

    def __getitem__(self, k):
        return self.user_docs[self.u[k]], self.item_docs[self.i[k]], self.r[k]


class ReviewCNN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embedding = nn.Embedding(cfg["vocab"], cfg["word_dim"])
        self.conv = nn.Conv1d(cfg["word_dim"], cfg["filters"], cfg["kernel"])
        self.dropout = nn.Dropout(cfg["dropout"])
        self.fc = nn.Linear(cfg["filters"], cfg["latent"])

    def forward(self, doc):
        h = F.relu(self.conv(self.embedding(doc).transpose(1, 2)))
        h = F.max_pool1d(h, h.shape[-1]).squeeze(-1)
        return self.fc(self.dropout(h))


class FactorizationMachine(nn.Module):
    def __init__(self, n, k):
        super().__init__()
        self.linear = nn.Linear(n, 1)
        self.v = nn.Parameter(torch.randn(n, k) * 0.01)

    def forward(self, z):
        inter = 0.5 * ((z @ self.v) ** 2 - (z ** 2) @ (self.v ** 2)).sum(1, keepdim=True)
        return (self.linear(z) + inter).squeeze(1)


class DeepCoNN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.user_net = ReviewCNN(cfg)
        self.item_net = ReviewCNN(cfg)
        self.fm = FactorizationMachine(2 * cfg["latent"], cfg["fm_k"])

    def forward(self, user_doc, item_doc):
        z = torch.cat([self.user_net(user_doc), self.item_net(item_doc)], dim=1)
        return self.fm(z)


def evaluate(model, loader):
    model.eval()
    se, n = 0.0, 0
    with torch.no_grad():
        for ud, idoc, r in loader:
            se += ((model(ud, idoc) - r) ** 2).sum().item()
            n += len(r)
    return (se / n) ** 0.5


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_set = ReviewRatings(200, 150, 1600, CONFIG, seed=0)
    test_set = ReviewRatings(200, 150, 400, CONFIG, seed=0, pair_seed=2)   # same users/items, new pairs
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = DeepCoNN(CONFIG)
    optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"], weight_decay=CONFIG["l2"])
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for ud, idoc, r in train_loader:
            loss = F.mse_loss(model(ud, idoc), r)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(r)
        print(f"epoch {epoch}  train mse {total / len(train_set):.4f}  test rmse {evaluate(model, test_loader):.4f}")


if __name__ == "__main__":
    main()
