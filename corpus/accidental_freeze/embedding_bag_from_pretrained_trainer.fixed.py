# Session-based recommender: item vectors from a co-occurrence factorisation, pooled by an
# EmbeddingBag; a Trainer gives every part its own parameter group.
import torch
from torch import nn, optim

N_ITEMS, DIM = 120, 16


class SessionScorer(nn.Module):
    def __init__(self, item_vectors):
        super().__init__()
        self.items = nn.EmbeddingBag.from_pretrained(item_vectors, mode="mean", freeze=False)
        self.query = nn.Linear(DIM, DIM)
        self.output = nn.Linear(DIM, N_ITEMS)

    def forward(self, flat_items, offsets):
        session = self.items(flat_items, offsets)
        return self.output(torch.tanh(self.query(session)))


class Trainer:
    def __init__(self, model, base_lr=1e-2):
        self.model = model
        groups = [
            {"params": model.items.parameters(), "lr": base_lr * 0.1, "name": "items"},
            {"params": model.query.parameters(), "name": "query"},
            {"params": model.output.parameters(), "name": "output"},
        ]
        self.optimizer = optim.Adagrad(groups, lr=base_lr)

    def step(self, flat_items, offsets, next_item):
        logits = self.model(flat_items, offsets)
        loss = nn.functional.cross_entropy(logits, next_item)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def sessions(n, gen):
    lengths = torch.randint(2, 6, (n,), generator=gen)
    flat = torch.randint(0, N_ITEMS, (int(lengths.sum()),), generator=gen)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    return flat, offsets, (flat[offsets] + 1) % N_ITEMS


if __name__ == "__main__":
    gen = torch.Generator().manual_seed(0)
    factors = torch.randn(N_ITEMS, DIM, generator=gen) * 0.3
    trainer = Trainer(SessionScorer(factors))
    for it in range(12):
        loss = trainer.step(*sessions(64, gen))
        if it % 4 == 0:
            print(it, round(loss, 4))
