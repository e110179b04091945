"""A tiny transformer encoder for sequence classification, AdamW with the usual no-decay groups."""
import torch
from torch import nn
from torch.optim import AdamW


class Encoder(nn.Module):
    def __init__(self, vocab=100, dim=32, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.cls = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.norm(self.layer(self.embed(tokens)))
        return self.cls(h.mean(dim=1))


def grouped_parameters(model, weight_decay):
    no_decay = ["bias", "norm"]
    return [
        {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)],
         "weight_decay": weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)],
         "weight_decay": 0.0},
    ]


def main():
    torch.manual_seed(1)
    model = Encoder()
    optimizer = AdamW(grouped_parameters(model, 0.01), lr=3e-4)
    loss_fn = nn.CrossEntropyLoss()
    tokens = torch.randint(0, 100, (16, 10))
    labels = torch.randint(0, 3, (16,))
    for step in range(6):
        optimizer.zero_grad()
        loss = loss_fn(model(tokens), labels)
        loss.backward()
        optimizer.step()
        print(step, round(loss.item(), 4))


if __name__ == "__main__":
    main()
