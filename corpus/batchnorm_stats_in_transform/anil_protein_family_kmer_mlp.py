"""ANIL (almost-no-inner-loop) few-shot classification of protein families.

Each synthetic family has its own 3-mer composition profile; a task draws 5 families and asks
for their labels from 3 sequences each. The encoder MLP is shared and only meta-trained in the
outer loop; the inner loop adapts the linear head alone with torch.func.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

ALPHABET = 20
KMER = ALPHABET ** 2  # 2-mer counts keep the feature vector small
N_FAMILIES = 80
WAYS, SHOTS, QUERIES = 5, 3, 6
INNER_STEPS, INNER_LR = 3, 0.5
META_BATCH, META_ITERS = 4, 30

torch.manual_seed(3)
family_profiles = torch.softmax(1.2 * torch.randn(N_FAMILIES, KMER), dim=1)


def sample_sequences(family, n, length=60):
    counts = torch.distributions.Multinomial(length, family_profiles[family]).sample((n,))
    return torch.log1p(counts)


def sample_task(families):
    chosen = families[torch.randperm(len(families))[:WAYS]]
    support, query = [], []
    for label, fam in enumerate(chosen.tolist()):
        seqs = sample_sequences(fam, SHOTS + QUERIES)
        support.append((seqs[:SHOTS], torch.full((SHOTS,), label)))
        query.append((seqs[SHOTS:], torch.full((QUERIES,), label)))
    xs, ys = map(torch.cat, zip(*support))
    xq, yq = map(torch.cat, zip(*query))
    return xs, ys, xq, yq


def dense(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.ReLU())


class FamilyNet(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(dense(KMER, hidden), dense(hidden, hidden))
        self.head = nn.Linear(hidden, WAYS)

    def forward(self, x):
        return self.head(self.encoder(x))


model = FamilyNet()
meta_optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
train_families = torch.arange(0, 60)
test_families = torch.arange(60, N_FAMILIES)


def split_params():
    named = dict(model.named_parameters())
    head = {k: v for k, v in named.items() if k.startswith("head.")}
    body = {k: v for k, v in named.items() if not k.startswith("head.")}
    return body, head


def head_loss(head, body, x, y):
    logits = functional_call(model, {**body, **head}, (x,))
    return F.cross_entropy(logits, y)


def adapt_head(head, body, xs, ys):
    for _ in range(INNER_STEPS):
        g = grad(head_loss)(head, body, xs, ys)
        head = {k: w - INNER_LR * g[k] for k, w in head.items()}
    return head


def run_task(body, head, task):
    xs, ys, xq, yq = task
    fast_head = adapt_head(head, body, xs, ys)
    logits = functional_call(model, {**body, **fast_head}, (xq,))
    return F.cross_entropy(logits, yq), (logits.argmax(1) == yq).float().mean()


for it in range(1, META_ITERS + 1):
    model.train()
    body, head = split_params()
    losses, accs = zip(*(run_task(body, head, sample_task(train_families)) for _ in range(META_BATCH)))
    meta_loss = torch.stack(losses).mean()
    meta_optimizer.zero_grad()
    meta_loss.backward()
    meta_optimizer.step()
    if it % 10 == 0:
        body, head = split_params()
        body = {k: v.detach() for k, v in body.items()}
        head = {k: v.detach() for k, v in head.items()}
        test_acc = torch.stack([run_task(body, head, sample_task(test_families))[1] for _ in range(4)]).mean()
        print(f"iter {it:3d}  meta-loss {meta_loss.item():.3f}  train acc {torch.stack(accs).mean():.2f}  "
              f"test acc {test_acc:.2f}")
