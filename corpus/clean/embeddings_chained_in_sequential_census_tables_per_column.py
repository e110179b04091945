# Income classifier on census-style records with entity embeddings: each categorical column
# (workclass, education, marital status, occupation, relationship) has its own embedding table,
# sized to the column, kept in a ModuleList and looked up on that column only; the vectors are
# concatenated with the numeric columns and an MLP predicts the income bracket.
import torch
from torch import nn

CARDINALITIES = [9, 16, 7, 15, 6]
WIDTHS = [4, 6, 4, 6, 3]


class EntityEmbeddingNet(nn.Module):
    def __init__(self, n_numeric):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(c, w) for c, w in zip(CARDINALITIES, WIDTHS))
        self.mlp = nn.Sequential(
            nn.Linear(sum(WIDTHS) + n_numeric, 48),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(48, 2),
        )

    def forward(self, categorical, numeric):
        vectors = [table(categorical[:, i]) for i, table in enumerate(self.tables)]
        return self.mlp(torch.cat([*vectors, numeric], dim=1))


def make_records(n, generator):
    categorical = torch.stack([torch.randint(0, c, (n,), generator=generator) for c in CARDINALITIES], dim=1)
    numeric = torch.randn(n, 3, generator=generator)
    score = numeric[:, 0] + 0.8 * (categorical[:, 1] > 10).float() - 0.5 * (categorical[:, 2] == 3).float()
    return categorical, numeric, (score > 0.3).long()


torch.manual_seed(0)
generator = torch.Generator().manual_seed(1)
categorical, numeric, income = make_records(1024, generator)
model = EntityEmbeddingNet(n_numeric=3)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(5):
    model.train()
    order = torch.randperm(1024)
    for start in range(0, 1024, 128):
        idx = order[start:start + 128]
        loss = loss_fn(model(categorical[idx], numeric[idx]), income[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(categorical, numeric).argmax(dim=1) == income).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} accuracy {accuracy:.3f}")
