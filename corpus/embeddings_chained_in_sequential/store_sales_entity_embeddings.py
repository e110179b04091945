# Daily sales regression for a chain of drugstores, in the entity-embedding style: the store id,
# day of week, month, promotion flag, store type and assortment level each get a learned
# embedding table of the same width; the vectors are flattened together with the scaled
# competition distance and an MLP predicts log sales.
import torch
from torch import nn

N_STORES, EMBED = 200, 8


class SalesModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Sequential(
            nn.Embedding(N_STORES, EMBED),
            nn.Embedding(7, EMBED),
            nn.Embedding(12, EMBED),
            nn.Embedding(2, EMBED),
            nn.Embedding(4, EMBED),
            nn.Embedding(3, EMBED),
        )
        self.mlp = nn.Sequential(
            nn.Linear(6 * EMBED + 1, 64),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(64, 1),
        )

    def forward(self, fields, distance):
        vectors = self.embeddings(fields)
        features = torch.cat([vectors.flatten(1), distance.unsqueeze(1)], dim=1)
        return self.mlp(features).squeeze(1)


def synthetic_days(n):
    store = torch.randint(0, N_STORES, (n,))
    fields = torch.stack([
        store,
        torch.randint(0, 7, (n,)),
        torch.randint(0, 12, (n,)),
        torch.randint(0, 2, (n,)),
        store % 4,
        store % 3,
    ], dim=1)
    distance = torch.rand(n)
    base = torch.linspace(8.0, 9.5, N_STORES)[store]
    log_sales = base + 0.3 * fields[:, 3] - 0.2 * (fields[:, 1] == 6).float() - 0.1 * distance
    return fields, distance, log_sales + 0.05 * torch.randn(n)


torch.manual_seed(0)
fields, distance, log_sales = synthetic_days(2048)
model = SalesModel()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(5):
    model.train()
    for start in range(0, 2048, 128):
        batch = slice(start, start + 128)
        prediction = model(fields[batch], distance[batch])
        loss = nn.functional.mse_loss(prediction, log_sales[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: rmse {loss.sqrt().item():.4f}")
