# News-topic classification with an EmbeddingBag bag-of-ngrams model (text_sentiment_ngrams style).
#
# Reproduces: https://github.com/pytorch/tutorials/issues/2245
# ("[BUG] - Text Classification tutorial fails against 2.0")
#
# What goes wrong (in my words): the embedding bag is created with sparse=True, so its weight
# gets a sparse gradient, and the training step then calls
# torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1) over all parameters. The norm
# kernels used by clip_grad_norm_ have no sparse implementation, so the very first training
# batch stops with NotImplementedError ("Could not run 'aten::linalg_vector_norm' with
# arguments from the 'SparseCPU' backend" in torch 2.13; '_foreach_norm' in 2.0).
import argparse
import random
import time

import torch
import torch.nn as nn
from torch.utils.data import DataLoader

TOPICS = ["world", "sports", "business", "scitech"]
TOPIC_WORDS = {
    "world": "minister election border treaty capital protest embassy summit refugees parliament".split(),
    "sports": "match goal season coach league striker final tournament score champion".split(),
    "business": "shares profit market quarterly investors merger revenue stocks bank earnings".split(),
    "scitech": "software chip launch researchers internet satellite device data startup quantum".split(),
}
FILLER = "the a of to in on for with said new after over by at from is was will has".split()


def synth_corpus(n, seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.randrange(len(TOPICS))
        words = [rng.choice(TOPIC_WORDS[TOPICS[label]]) if rng.random() < 0.35 else rng.choice(FILLER)
                 for _ in range(rng.randint(8, 20))]
        rows.append((label, " ".join(words)))
    return rows


def ngrams(tokens, n=2):
    return tokens + [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


class Vocab:
    def __init__(self, texts):
        self.itos = ["<unk>"]
        self.stoi = {"<unk>": 0}
        for t in texts:
            for tok in ngrams(t.split()):
                if tok not in self.stoi:
                    self.stoi[tok] = len(self.itos)
                    self.itos.append(tok)

    def __call__(self, tokens):
        return [self.stoi.get(t, 0) for t in tokens]

    def __len__(self):
        return len(self.itos)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


def make_collate(vocab):
    def collate_batch(batch):
        labels, texts, offsets = [], [], [0]
        for label, text in batch:
            labels.append(label)
            ids = torch.tensor(vocab(ngrams(text.split())), dtype=torch.int64)
            texts.append(ids)
            offsets.append(ids.size(0))
        offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
        return torch.tensor(labels), torch.cat(texts), offsets
    return collate_batch


def train(model, loader, optimizer, criterion, epoch):
    model.train()
    total_acc, total_count = 0, 0
    for idx, (label, text, offsets) in enumerate(loader):
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
        if idx % 20 == 0 and idx > 0:
            print(f"| epoch {epoch:3d} | {idx:5d}/{len(loader):5d} batches | accuracy {total_acc / total_count:8.3f}")
            total_acc, total_count = 0, 0


def evaluate(model, loader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for label, text, offsets in loader:
            total_acc += (model(text, offsets).argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--emsize", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_rows, valid_rows = synth_corpus(3000, seed=1), synth_corpus(600, seed=2)
    vocab = Vocab(t for _, t in train_rows)
    collate = make_collate(vocab)
    train_loader = DataLoader(train_rows, batch_size=args.batch_size, shuffle=True, collate_fn=collate)
    valid_loader = DataLoader(valid_rows, batch_size=args.batch_size, shuffle=False, collate_fn=collate)

    model = TextClassificationModel(len(vocab), args.emsize, len(TOPICS))
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
    total_accu = None
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train(model, train_loader, optimizer, criterion, epoch)
        accu_val = evaluate(model, valid_loader)
        if total_accu is not None and total_accu > accu_val:
            scheduler.step()
        else:
            total_accu = accu_val
        print(f"| end of epoch {epoch:3d} | time: {time.time() - epoch_start_time:5.2f}s | valid accuracy {accu_val:8.3f}")


if __name__ == "__main__":
    main()
