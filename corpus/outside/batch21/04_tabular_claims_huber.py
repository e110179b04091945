# Source: https://github.com/pytorch/pytorch/issues/76646
# Tabular regression of (log) insurance claim cost with categorical embeddings and numeric
# features, trained with nn.HuberLoss because the costs have heavy tails. The raw table is
# materialised as one float64 tensor; the numeric features are cast to float32 when a row is
# read, but the target is returned as it is, in float64. The forward pass and the loss value are
# computed without complaint, but HuberLoss's backward does not handle the mixed dtypes and the
# first loss.backward() fails with "Found dtype Double but expected Float": nothing trains.
import math
import random

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

SEED = 11
N_ROWS = 4000
REGIONS = ["north", "south", "east", "west", "central"]
VEHICLES = ["sedan", "suv", "van", "truck", "coupe", "hatch"]
BATCH_SIZE = 128
EPOCHS = 8
LR = 2e-3
HUBER_DELTA = 1.0


def synth_rows(n, rng):
    """age, bonus-malus, annual km, vehicle age, region, vehicle, log claim cost"""
    region_effect = {r: rng.gauss(0, 0.4) for r in REGIONS}
    vehicle_effect = {v: rng.gauss(0, 0.3) for v in VEHICLES}
    rows = []
    for _ in range(n):
        age = rng.uniform(18, 80)
        bonus = rng.uniform(0.5, 2.0)
        km = rng.lognormvariate(9.5, 0.4)
        vage = rng.uniform(0, 20)
        region = rng.choice(REGIONS)
        vehicle = rng.choice(VEHICLES)
        y = (6.0 + 0.015 * abs(age - 45) + 0.6 * bonus + 0.3 * math.log(km / 10000)
             + 0.02 * vage + region_effect[region] + vehicle_effect[vehicle])
        y += rng.gauss(0, 0.3) if rng.random() > 0.05 else rng.gauss(0, 2.0)  # heavy tail
        rows.append([age, bonus, km, vage, REGIONS.index(region), VEHICLES.index(vehicle), y])
    return rows


class ClaimsDataset(Dataset):
    NUMERIC = slice(0, 4)

    def __init__(self, table, mean=None, std=None):
        self.table = table
        num = table[:, self.NUMERIC]
        self.mean = num.mean(0) if mean is None else mean
        self.std = num.std(0) if std is None else std

    def __len__(self):
        return self.table.size(0)

    def __getitem__(self, i):
        row = self.table[i]
        x_num = ((row[self.NUMERIC] - self.mean) / self.std).float()
        x_cat = row[4:6].long()
        target = row[6]
        return x_num, x_cat, target


class ClaimsNet(nn.Module):
    def __init__(self, n_numeric, cardinalities, emb_dim=6, hidden=64):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, emb_dim) for c in cardinalities)
        self.mlp = nn.Sequential(
            nn.Linear(n_numeric + emb_dim * len(cardinalities), hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, 1),
        )
        nn.init.constant_(self.mlp[-1].bias, 7.0)

    def forward(self, x_num, x_cat):
        embs = [emb(x_cat[:, j]) for j, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat([x_num, *embs], dim=1)).squeeze(1)


def run_epoch(model, loader, criterion, optimizer=None):
    train = optimizer is not None
    model.train(train)
    total, count = 0.0, 0
    with torch.set_grad_enabled(train):
        for x_num, x_cat, y in loader:
            pred = model(x_num, x_cat)
            loss = criterion(pred, y)
            if train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * y.size(0)
            count += y.size(0)
    return total / count


def main():
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    table = torch.tensor(synth_rows(N_ROWS, rng), dtype=torch.float64)
    perm = torch.randperm(N_ROWS)
    n_val = N_ROWS // 5
    train_ds = ClaimsDataset(table[perm[n_val:]])
    val_ds = ClaimsDataset(table[perm[:n_val]], train_ds.mean, train_ds.std)
    train_dl = DataLoader(train_ds, batch_size=BATCH_SIZE, shuffle=True, drop_last=True)
    val_dl = DataLoader(val_ds, batch_size=512)

    model = ClaimsNet(4, [len(REGIONS), len(VEHICLES)])
    criterion = nn.HuberLoss(delta=HUBER_DELTA)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

    for epoch in range(1, EPOCHS + 1):
        tr = run_epoch(model, train_dl, criterion, optimizer)
        va = run_epoch(model, val_dl, criterion)
        scheduler.step()
        print(f"epoch {epoch} train huber {tr:.4f} val huber {va:.4f} lr {scheduler.get_last_lr()[0]:.2e}")


if __name__ == "__main__":
    main()
