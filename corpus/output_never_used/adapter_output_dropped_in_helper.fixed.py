"""Intent classifier: a Transformer encoder, then a bottleneck adapter reached through a helper
method. forward() keeps the adapter's output in `adapted` but classifies the pooled encoding."""
import torch
import torch.nn as nn


class Adapter(nn.Module):
    def __init__(self, dim, bottleneck=8):
        super().__init__()
        self.down = nn.Linear(dim, bottleneck)
        self.up = nn.Linear(bottleneck, dim)

    def forward(self, h):
        return h + self.up(torch.relu(self.down(h)))


class IntentModel(nn.Module):
    def __init__(self, vocab=300, dim=32, intents=6):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True, dropout=0.0)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.adapter = Adapter(dim)
        self.classifier = nn.Linear(dim, intents)

    def adapt(self, pooled):
        return self.adapter(pooled)

    def forward(self, ids):
        pooled = self.encoder(self.tok(ids)).mean(dim=1)
        adapted = self.adapt(pooled)
        return self.classifier(adapted)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optim = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch(self, batches):
        total = 0.0
        for ids, intent in batches:
            self.optim.zero_grad()
            loss = nn.functional.cross_entropy(self.model(ids), intent)
            loss.backward()
            self.optim.step()
            total += loss.item()
        return total / len(batches)


torch.manual_seed(7)
batches = [(torch.randint(0, 300, (8, 10)), torch.randint(0, 6, (8,))) for _ in range(4)]
trainer = Trainer(IntentModel())
for e in range(3):
    print(f"epoch {e} loss {trainer.epoch(batches):.3f}")
