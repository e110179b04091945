# Income classifier on census-style records: each categorical column (workclass, education,
# marital status, occupation, relationship) gets its own embedding table of the same width, so a
# record becomes a short sequence of column tokens; the numeric columns are projected to one more
# token, a small transformer encoder mixes them, and a linear head predicts the income bracket.
import torch
from torch import nn

CARDINALITIES = [9, 16, 7, 15, 6]
D_MODEL = 16


class ColumnTokenClassifier(nn.Module):
    def __init__(self, n_numeric):
        super().__init__()
        self.column_embeddings = nn.Sequential(
            nn.Embedding(CARDINALITIES[0], D_MODEL),
            nn.Embedding(CARDINALITIES[1], D_MODEL),
            nn.Embedding(CARDINALITIES[2], D_MODEL),
            nn.Embedding(CARDINALITIES[3], D_MODEL),
            nn.Embedding(CARDINALITIES[4], D_MODEL),
        )
        self.numeric = nn.Linear(n_numeric, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, nhead=2, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.head = nn.Linear(D_MODEL, 2)

    def forward(self, categorical, numeric):
        tokens = self.column_embeddings(categorical)
        tokens = torch.cat([tokens, self.numeric(numeric).unsqueeze(1)], dim=1)
        encoded = self.encoder(tokens)
        return self.head(encoded.mean(dim=1))


def make_records(n, generator):
    categorical = torch.stack([torch.randint(0, c, (n,), generator=generator) for c in CARDINALITIES], dim=1)
    numeric = torch.randn(n, 3, generator=generator)
    score = numeric[:, 0] + 0.8 * (categorical[:, 1] > 10).float() - 0.5 * (categorical[:, 2] == 3).float()
    return categorical, numeric, (score > 0.3).long()


torch.manual_seed(0)
generator = torch.Generator().manual_seed(1)
categorical, numeric, income = make_records(512, generator)
model = ColumnTokenClassifier(n_numeric=3)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(4):
    order = torch.randperm(512)
    for start in range(0, 512, 64):
        idx = order[start:start + 64]
        logits = model(categorical[idx], numeric[idx])
        loss = loss_fn(logits, income[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(categorical, numeric).argmax(dim=1) == income).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} accuracy {accuracy:.3f}")
