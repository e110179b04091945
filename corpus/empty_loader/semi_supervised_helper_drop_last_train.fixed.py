"""Semi-supervised text-length classifier: a few labelled examples and many unlabelled ones. The
loaders come from one helper that shuffles and drops the last batch for training sets only."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
VOCAB, DIM, BATCH_SIZE = 50, 24, 64


def make_loader(dataset, batch_size, train):
    return DataLoader(dataset, batch_size=batch_size, shuffle=train, drop_last=train and len(dataset) > batch_size)


def synthetic(n):
    tokens = torch.randint(0, VOCAB, (n, 12))
    return tokens, (tokens < VOCAB // 2).sum(1).gt(6).long()


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(VOCAB, DIM)
        self.out = nn.Linear(DIM, 2)

    def forward(self, tokens):
        return self.out(self.embed(tokens))


labelled = TensorDataset(*synthetic(48))
held_out = TensorDataset(*synthetic(200))
train_loader = make_loader(labelled, BATCH_SIZE, train=True)
val_loader = make_loader(held_out, BATCH_SIZE, train=False)

model = BagClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(10):
    model.train()
    for tokens, y in train_loader:
        loss = F.cross_entropy(model(tokens), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for tokens, y in val_loader:
            correct += (model(tokens).argmax(1) == y).sum().item()
    if epoch % 3 == 0:
        print(f"epoch {epoch}: validation accuracy {correct / len(held_out):.2f}")
