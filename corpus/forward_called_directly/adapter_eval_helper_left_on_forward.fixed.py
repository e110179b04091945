"""Bottleneck adapter on a frozen bag-of-n-grams text encoder, for a new review-rating domain.

The encoder was "pretrained" on the source domain (stage 1); stage 2 freezes it and learns a
residual bottleneck adapter on its output (a forward hook) plus a new rating head.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, SEED = 500, 64, 21


def reviews(n, gen, domain_shift):
    """Token-id bags; sentiment words differ between domains (a shifted vocabulary)."""
    good = torch.arange(0, 40) + domain_shift
    bad = torch.arange(40, 80) + domain_shift
    y = torch.randint(0, 2, (n,), generator=gen)
    toks = torch.randint(100, VOCAB, (n, 12), generator=gen)
    n_sent = 6
    pick = torch.randint(0, 40, (n, n_sent), generator=gen)
    toks[:, :n_sent] = torch.where(y[:, None] == 1, good[pick], bad[pick])
    return toks, y


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.EmbeddingBag(VOCAB, DIM, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(DIM, DIM), nn.GELU(), nn.Linear(DIM, DIM))

    def forward(self, toks):
        return self.mlp(self.emb(toks))


class Adapter(nn.Module):
    def __init__(self, dim, bottleneck=32):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck)
        self.up = nn.Linear(bottleneck, dim)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h):
        return h + self.up(F.gelu(self.down(h)))


def fit(encoder, head, params, toks, y, epochs, lr):
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(epochs):
        for i in range(0, len(toks), 64):
            logits = head(encoder(toks[i:i + 64]))
            loss = F.cross_entropy(logits, y[i:i + 64])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return loss.item()


@torch.no_grad()
def accuracy(encoder, head, toks, y):
    return (head(encoder(toks)).argmax(-1) == y).float().mean().item()


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    encoder = Encoder()

    src_toks, src_y = reviews(2000, gen, domain_shift=0)
    src_head = nn.Linear(DIM, 2)
    fit(encoder, src_head, [*encoder.parameters(), *src_head.parameters()], src_toks, src_y, epochs=3, lr=3e-3)
    print(f"source acc {accuracy(encoder, src_head, src_toks, src_y):.3f}")

    encoder.requires_grad_(False)
    adapter = Adapter(DIM)
    encoder.register_forward_hook(lambda module, args, out: adapter(out))
    tgt_toks, tgt_y = reviews(1200, gen, domain_shift=20)
    tgt_head = nn.Linear(DIM, 2)
    loss = fit(encoder, tgt_head, [*adapter.parameters(), *tgt_head.parameters()], tgt_toks[:1000], tgt_y[:1000], epochs=8, lr=1e-2)
    print(f"target loss {loss:.3f}, held-out acc {accuracy(encoder, tgt_head, tgt_toks[1000:], tgt_y[1000:]):.3f}")


if __name__ == "__main__":
    main()
