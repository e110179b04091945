# Report: https://github.com/pytorch/pytorch/issues/26596
# A knowledge-graph style model scores a query both against the whole entity table (embedding.weight)
# and against looked-up entities from an nn.Embedding(max_norm=...). backward() fails with
# "one of the variables needed for gradient computation has been modified by an inplace operation".
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CFG = {"n_entities": 30, "n_relations": 5, "dim": 8, "max_norm": 1.0,
       "epochs": 3, "batch_size": 16, "lr": 1e-2, "seed": 0}


class EntityScorer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.entity = nn.Embedding(cfg["n_entities"], cfg["dim"], max_norm=cfg["max_norm"])
        self.relation = nn.Embedding(cfg["n_relations"], cfg["dim"])
        self.proj = nn.Linear(cfg["dim"], cfg["dim"])

    def forward(self, head, rel):
        # look the heads up first (renormalises rows of the table in place) ...
        query = self.entity(head) + self.relation(rel)
        # ... then use the full table for the candidate tails
        all_tails = self.proj(self.entity.weight)
        return query @ all_tails.t()


def make_loader(cfg):
    rng = np.random.RandomState(cfg["seed"])
    n = 96
    h = torch.tensor(rng.randint(0, cfg["n_entities"], n))
    r = torch.tensor(rng.randint(0, cfg["n_relations"], n))
    t = torch.tensor(rng.randint(0, cfg["n_entities"], n))
    return DataLoader(TensorDataset(h, r, t), batch_size=cfg["batch_size"], shuffle=True)


class Trainer:
    def __init__(self, cfg):
        torch.manual_seed(cfg["seed"])
        self.cfg = cfg
        self.model = EntityScorer(cfg)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"])
        self.crit = nn.CrossEntropyLoss()

    def fit(self, loader):
        for epoch in range(self.cfg["epochs"]):
            running = 0.0
            for h, r, t in loader:
                self.opt.zero_grad()
                loss = self.crit(self.model(h, r), t)
                loss.backward()
                self.opt.step()
                running += loss.item()
            print(f"epoch {epoch} loss {running / len(loader):.4f}")


if __name__ == "__main__":
    trainer = Trainer(CFG)
    trainer.fit(make_loader(CFG))
