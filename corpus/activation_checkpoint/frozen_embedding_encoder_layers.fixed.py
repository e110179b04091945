"""Sentence classifier on top of frozen pretrained word vectors; the encoder layers are
checkpointed because the real model runs on long documents."""
import torch
import torch.nn as nn
import torch.utils.checkpoint

torch.manual_seed(0)
VOCAB, DIM, SEQ, CLASSES = 100, 32, 12, 3


class Classifier(nn.Module):
    def __init__(self, vectors, layers=2):
        super().__init__()
        # the word vectors stay as they were trained
        self.embed = nn.Embedding.from_pretrained(vectors, freeze=True)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(DIM, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
            for _ in range(layers)
        )
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, tokens, padding):
        h = self.embed(tokens)
        for layer in self.layers:
            h = torch.utils.checkpoint.checkpoint(layer, h, None, padding, use_reentrant=False)
        keep = (~padding).unsqueeze(-1).float()
        return self.head((h * keep).sum(1) / keep.sum(1))


def batch(n):
    labels = torch.randint(0, CLASSES, (n,))
    tokens = torch.randint(1, VOCAB, (n, SEQ))
    tokens[:, 0] = labels * 7 + 3
    lengths = torch.randint(4, SEQ + 1, (n,))
    padding = torch.arange(SEQ)[None, :] >= lengths[:, None]
    return tokens.masked_fill(padding, 0), padding, labels


model = Classifier(torch.randn(VOCAB, DIM))
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(3):
    for _ in range(20):
        tokens, padding, labels = batch(16)
        loss = criterion(model(tokens, padding), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
