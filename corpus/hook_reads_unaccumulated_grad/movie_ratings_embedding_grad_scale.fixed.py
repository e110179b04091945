"""Neural matrix factorisation for explicit movie ratings (synthetic users/items with latent
tastes). The embedding tables see far fewer updates per row than the MLP weights, so their
gradients are scaled up, the usual trick instead of a separate parameter group."""
import random

import torch
import torch.nn.functional as F
from torch import nn, optim

CONFIG = {
    "n_users": 300,
    "n_items": 200,
    "latent": 6,
    "embed_dim": 16,
    "emb_grad_scale": 64.0,
    "lr": 0.05,
    "momentum": 0.9,
    "epochs": 8,
    "batch_size": 256,
    "seed": 17,
}


def seed_everything(seed):
    random.seed(seed)
    torch.manual_seed(seed)


def synthetic_ratings(cfg, n_ratings=12000):
    users = torch.randn(cfg["n_users"], cfg["latent"])
    items = torch.randn(cfg["n_items"], cfg["latent"])
    u = torch.randint(0, cfg["n_users"], (n_ratings,))
    i = torch.randint(0, cfg["n_items"], (n_ratings,))
    affinity = (users[u] * items[i]).sum(1) / cfg["latent"] ** 0.5
    ratings = (3.0 + 1.2 * affinity + 0.3 * torch.randn(n_ratings)).clamp(1.0, 5.0)
    return u, i, ratings


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.mlp = nn.Sequential(
            nn.Linear(2 * dim, 32),
            nn.ReLU(),
            nn.Linear(32, 16),
            nn.ReLU(),
        )
        self.predict = nn.Linear(16 + dim, 1)
        nn.init.normal_(self.user_emb.weight, std=0.1)
        nn.init.normal_(self.item_emb.weight, std=0.1)

    def forward(self, users, items):
        pu, qi = self.user_emb(users), self.item_emb(items)
        gmf = pu * qi
        deep = self.mlp(torch.cat([pu, qi], dim=-1))
        return 3.0 + self.predict(torch.cat([gmf, deep], dim=-1)).squeeze(-1)


def scale_table_grad(table):
    table.grad *= CONFIG["emb_grad_scale"]


def rmse(model, users, items, ratings):
    with torch.no_grad():
        return F.mse_loss(model(users, items), ratings).sqrt().item()


def fit(model, data, cfg):
    users, items, ratings = data
    n_train = int(0.9 * len(ratings))
    optimizer = optim.SGD(
        model.parameters(),
        lr=cfg["lr"],
        momentum=cfg["momentum"],
    )
    for epoch in range(cfg["epochs"]):
        order = torch.randperm(n_train)
        for start in range(0, n_train, cfg["batch_size"]):
            b = order[start:start + cfg["batch_size"]]
            optimizer.zero_grad()
            loss = F.mse_loss(model(users[b], items[b]), ratings[b])
            loss.backward()
            optimizer.step()
        val = rmse(model, users[n_train:], items[n_train:], ratings[n_train:])
        print(f"epoch {epoch + 1}/{cfg['epochs']}  train mse {loss.item():.4f}  val rmse {val:.4f}")


def main(cfg=CONFIG):
    seed_everything(cfg["seed"])
    data = synthetic_ratings(cfg)
    model = NeuMF(
        cfg["n_users"],
        cfg["n_items"],
        cfg["embed_dim"],
    )
    for table in (model.user_emb, model.item_emb):
        for p in table.parameters():
            p.register_post_accumulate_grad_hook(scale_table_grad)
    fit(model, data, cfg)


if __name__ == "__main__":
    main()
