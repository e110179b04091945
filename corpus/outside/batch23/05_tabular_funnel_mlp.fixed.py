# Report: https://github.com/pytorch/pytorch/issues/108956
# nn.LayerNorm over a last dimension of size 1 outputs zeros for every row (the mean of one
# value is the value itself), so nothing before it can affect the output.
"""Tabular regression (apartment rent) with categorical embeddings and a funnel MLP.

Numeric features are standardised, categorical features get learned embeddings, and the
concatenation goes through residual-free "funnel" blocks whose width halves at every block
(Linear -> parameter-free LayerNorm -> GELU -> Dropout), followed by a linear head.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split


@dataclass
class Config:
    d_first: int = 64
    n_blocks: int = 7
    emb_dim: int = 8
    dropout: float = 0.1
    lr: float = 2e-3
    epochs: int = 8
    batch_size: int = 128


CARDINALITIES = {"district": 12, "building_type": 5, "heating": 4, "floor_band": 6}


def make_table(n=3000, seed=0):
    g = torch.Generator().manual_seed(seed)
    area = 25 + 90 * torch.rand(n, generator=g)
    rooms = torch.clamp((area / 28 + torch.randn(n, generator=g) * 0.6).round(), 1, 5)
    age = 80 * torch.rand(n, generator=g)
    dist_center = 0.5 + 12 * torch.rand(n, generator=g)
    cats = {k: torch.randint(0, v, (n,), generator=g) for k, v in CARDINALITIES.items()}
    district_effect = torch.linspace(-250, 400, CARDINALITIES["district"])
    building_effect = torch.tensor([0.0, 120.0, -80.0, 60.0, 200.0])
    rent = (9.5 * area + 40 * rooms - 2.0 * age - 25 * dist_center
            + district_effect[cats["district"]] + building_effect[cats["building_type"]]
            + 30 * cats["heating"] + 15 * cats["floor_band"]
            + 60 * torch.randn(n, generator=g))
    numeric = torch.stack([area, rooms, age, dist_center], 1)
    categorical = torch.stack([cats[k] for k in CARDINALITIES], 1)
    return numeric, categorical, rent


def funnel_widths(cfg):
    return [max(cfg.d_first >> i, 4) for i in range(cfg.n_blocks)]


class FunnelBlock(nn.Module):
    def __init__(self, d_in, d_out, dropout):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out)
        self.norm = nn.LayerNorm(d_out, elementwise_affine=False)  # parameter-free, as in OLMo
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.act(self.norm(self.lin(x))))


class RentModel(nn.Module):
    def __init__(self, n_numeric, cfg):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, cfg.emb_dim) for c in CARDINALITIES.values())
        d = n_numeric + cfg.emb_dim * len(CARDINALITIES)
        blocks = []
        for w in funnel_widths(cfg):
            blocks.append(FunnelBlock(d, w, cfg.dropout))
            d = w
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(d, 1)

    def forward(self, numeric, categorical):
        embs = [emb(categorical[:, i]) for i, emb in enumerate(self.embeddings)]
        x = torch.cat([numeric] + embs, dim=1)
        return self.head(self.blocks(x)).squeeze(-1)


def main():
    cfg = Config()
    torch.manual_seed(0)
    numeric, categorical, rent = make_table()
    mu, sd = numeric.mean(0), numeric.std(0)
    y_mu, y_sd = rent.mean(), rent.std()
    ds = TensorDataset((numeric - mu) / sd, categorical, (rent - y_mu) / y_sd)
    train_ds, val_ds = random_split(ds, [2400, 600], generator=torch.Generator().manual_seed(1))
    train_loader = DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=600)

    model = RentModel(numeric.shape[1], cfg)
    print("block widths:", funnel_widths(cfg))
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    loss_fn = nn.MSELoss()

    best = float("inf")
    for epoch in range(cfg.epochs):
        model.train()
        total = 0.0
        for num, cat, y in train_loader:
            pred = model(num, cat)
            loss = loss_fn(pred, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
        model.eval()
        with torch.no_grad():
            num, cat, y = next(iter(val_loader))
            val_mse = loss_fn(model(num, cat), y).item()
            rmse_eur = val_mse ** 0.5 * y_sd.item()
        scheduler.step(val_mse)
        best = min(best, val_mse)
        print(f"epoch {epoch}: train MSE {total / len(train_ds):.4f}  val MSE {val_mse:.4f}  "
              f"val RMSE {rmse_eur:.1f} EUR")
    print("best val MSE:", best)


if __name__ == "__main__":
    main()
