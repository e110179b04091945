# Click-through-rate model for display ads in the Criteo style: 13 dense counters (log-scaled)
# and 26 categorical fields hashed into a fixed number of buckets, one embedding table per field.
# A wide linear part on the dense counters and a deep MLP over the flattened field vectors are
# summed into a click logit, trained with binary cross-entropy.
import torch as th
from torch import nn

N_DENSE, N_SPARSE, BUCKETS, EMBED = 13, 26, 1000, 6


def embed_sparse(tables, sparse_ids):
    """(batch, fields) hashed ids -> (batch, fields, EMBED) vectors."""
    return th.stack([table(sparse_ids[..., i]) for i, table in enumerate(tables)], dim=-2)


class WideAndDeep(nn.Module):
    def __init__(self):
        super().__init__()
        self.tables = nn.ModuleList([nn.Embedding(BUCKETS, EMBED) for _ in range(N_SPARSE)])
        self.wide = nn.Linear(N_DENSE, 1)
        self.deep = nn.Sequential(
            nn.Linear(N_SPARSE * EMBED + N_DENSE, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 1),
        )

    def forward(self, dense, sparse_ids):
        vectors = embed_sparse(self.tables, sparse_ids).flatten(1)
        deep_in = th.cat([vectors, dense], dim=1)
        return (self.wide(dense) + self.deep(deep_in)).squeeze(1)


def hashed_impressions(n, generator):
    raw = th.randint(0, 10 ** 6, (n, N_SPARSE), generator=generator)
    sparse_ids = (raw * 2654435761) % BUCKETS
    counts = th.poisson(th.full((n, N_DENSE), 3.0), generator=generator)
    dense = th.log1p(counts)
    logit = 0.6 * dense[:, 0] - 0.4 * dense[:, 5] + 0.8 * (sparse_ids[:, 2] < 300).float() - 1.5
    clicks = th.bernoulli(th.sigmoid(logit), generator=generator)
    return dense, sparse_ids, clicks


th.manual_seed(0)
generator = th.Generator().manual_seed(7)
dense, sparse_ids, clicks = hashed_impressions(4096, generator)
model = WideAndDeep()
optimizer = th.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.BCEWithLogitsLoss()

for epoch in range(3):
    for start in range(0, 4096, 256):
        logits = model(dense[start:start + 256], sparse_ids[start:start + 256])
        loss = criterion(logits, clicks[start:start + 256])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: log loss {loss.item():.4f}")
