# Report: https://github.com/pytorch/pytorch/issues/116598
# An income classifier on a census-style table with three categorical columns (workclass,
# education band, marital status) and a few numeric columns. The three embedding tables are put
# in an nn.Sequential and the categorical block is passed through it in one call. Sequential
# chains its children, so the second nn.Embedding receives the float output of the first as its
# indices, and the first forward pass fails: "Expected tensor for argument #1 'indices' to have
# one of the following scalar types: Long, Int; but got torch.FloatTensor instead".
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

SEED = 3
N_ROWS = 1600
CARDINALITIES = [4, 4, 4]
N_NUMERIC = 3
EMB_DIM = 8
HIDDEN = 64
EPOCHS = 5
BATCH = 64
LR = 1e-3

torch.manual_seed(SEED)


def make_census(n):
    cats = torch.stack([torch.randint(0, c, (n,)) for c in CARDINALITIES], dim=1)
    age = torch.randint(18, 70, (n,)).float()
    hours = torch.randint(10, 60, (n,)).float()
    gain = torch.relu(torch.randn(n) * 2000)
    score = 0.04 * (age - 40) + 0.05 * (hours - 40) + 0.6 * (cats[:, 1] == 3).float() \
        + 0.4 * (cats[:, 2] == 1).float() + gain / 3000 + torch.randn(n) * 0.5
    y = (score > 0.3).long()
    numeric = torch.stack([age, hours, gain], dim=1)
    return cats, numeric, y


def standardize(train, other):
    mean, std = train.mean(0), train.std(0) + 1e-6
    return (train - mean) / std, (other - mean) / std


class IncomeModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedded_layer = nn.Sequential(*[nn.Embedding(c, EMB_DIM) for c in CARDINALITIES])
        self.stacked_layer = nn.Sequential(
            nn.Linear(EMB_DIM * len(CARDINALITIES) + N_NUMERIC, HIDDEN),
            nn.ReLU(),
            nn.BatchNorm1d(HIDDEN),
            nn.Dropout(0.2),
            nn.Linear(HIDDEN, HIDDEN // 2),
            nn.ReLU(),
            nn.Linear(HIDDEN // 2, 2),
        )

    def forward(self, cats, numeric):
        emb = self.embedded_layer(cats).flatten(1)
        return self.stacked_layer(torch.cat([emb, numeric], dim=1))


cats, numeric, y = make_census(N_ROWS)
split = int(0.8 * N_ROWS)
num_train, num_test = standardize(numeric[:split], numeric[split:])
train_dl = DataLoader(TensorDataset(cats[:split], num_train, y[:split]), batch_size=BATCH, shuffle=True, drop_last=True)
test_dl = DataLoader(TensorDataset(cats[split:], num_test, y[split:]), batch_size=256)

model = IncomeModel()
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
loss_fn = nn.CrossEntropyLoss()


def accuracy(loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for c, x, t in loader:
            correct += (model(c, x).argmax(1) == t).sum().item()
    model.train()
    return correct / len(loader.dataset)


for epoch in range(EPOCHS):
    total = 0.0
    for c, x, t in train_dl:
        optimizer.zero_grad()
        loss = loss_fn(model(c, x), t)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"Epoch {epoch + 1}/{EPOCHS} | loss {total / len(train_dl):.4f} | test acc {accuracy(test_dl):.3f}")
