# Text classifier over frozen pretrained word vectors. One optimizer with a parameter group per
# part; the schedule gives each group its own multiplier (the embeddings' group is kept at 0
# until a later stage unfreezes them), built as one lambda per group.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR

VOCAB, DIM, CLASSES = 200, 16, 3


class BagClassifier(nn.Module):
    def __init__(self, vectors):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=True)
        self.encoder = nn.Sequential(nn.Linear(DIM, 32), nn.ReLU())
        self.head = nn.Linear(32, CLASSES)

    def forward(self, tokens):
        return self.head(self.encoder(self.embedding(tokens).mean(1)))


def build_optimizer(model, base_lr=0.05):
    groups = [
        {"params": model.head.parameters(), "mult": 1.0},
        {"params": model.encoder.parameters(), "mult": 0.3},
        {"params": model.embedding.parameters(), "mult": 0.0},
    ]
    return torch.optim.SGD(groups, lr=base_lr, momentum=0.9)


def build_scheduler(optimizer, decay=0.97):
    lr_lambdas = []
    for group in optimizer.param_groups:
        mult = group["mult"]
        lr_lambdas.append(lambda epoch, mult=mult: mult * decay ** epoch)
    return LambdaLR(optimizer, lr_lambda=lr_lambdas)


torch.manual_seed(0)
model = BagClassifier(torch.randn(VOCAB, DIM))
optimizer = build_optimizer(model)
scheduler = build_scheduler(optimizer)
tokens = torch.randint(0, VOCAB, (300, 12))
labels = tokens[:, 0] % CLASSES
for epoch in range(8):
    for xb, yb in zip(tokens.split(50), labels.split(50)):
        loss = nn.functional.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
