# Report: https://github.com/pytorch/tutorials/pull/2522
# (recipe "Tips for loading an nn.Module from a checkpoint"): with load_state_dict(..., assign=True)
# the module's parameters are replaced by the checkpoint tensors, so an optimizer built before the
# load keeps stepping the old tensors and the fine-tuned model never changes.
import io
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CFG = {"vocab": 40, "dim": 16, "n_classes": 3, "seq": 10, "epochs": 3, "batch_size": 16,
       "lr": 5e-3, "seed": 0}


class TextClassifier(nn.Module):
    def __init__(self, vocab, dim, n_classes):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.cls = nn.Linear(dim, n_classes)

    def forward(self, ids):
        return self.cls(self.ff(self.emb(ids)))


def pretrained_checkpoint(cfg):
    """Stands for a checkpoint file written by an earlier pre-training run."""
    buf = io.BytesIO()
    torch.save(TextClassifier(cfg["vocab"], cfg["dim"], cfg["n_classes"]).state_dict(), buf)
    buf.seek(0)
    return buf


class FineTuner:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = TextClassifier(cfg["vocab"], cfg["dim"], cfg["n_classes"])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"])

    def load(self, f):
        state = torch.load(f, mmap=False, weights_only=True)
        # assign=True: keep the checkpoint tensors instead of copying into the fresh ones
        self.model.load_state_dict(state, assign=True)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.cfg["lr"])

    def train(self, loader):
        crit = nn.CrossEntropyLoss()
        for epoch in range(self.cfg["epochs"]):
            tot = 0.0
            for ids, y in loader:
                self.optimizer.zero_grad()
                loss = crit(self.model(ids), y)
                loss.backward()
                self.optimizer.step()
                tot += loss.item()
            print(f"epoch {epoch} loss {tot / len(loader):.4f}")


def make_loader(cfg):
    rng = np.random.RandomState(cfg["seed"])
    ids = torch.tensor(rng.randint(0, cfg["vocab"], (80, cfg["seq"])))
    y = torch.tensor(rng.randint(0, cfg["n_classes"], 80))
    return DataLoader(TensorDataset(ids, y), batch_size=cfg["batch_size"], shuffle=True)


if __name__ == "__main__":
    torch.manual_seed(CFG["seed"])
    tuner = FineTuner(CFG)
    tuner.load(pretrained_checkpoint(CFG))
    tuner.train(make_loader(CFG))
