# Report: https://github.com/awslabs/sagemaker-debugger/issues/184
# A debugging hook that records gradient statistics registers a tensor hook on every parameter; the model
# loads a previously trained nn.Embedding that is kept frozen, and training dies with "cannot register a hook on a tensor that doesn't require gradient".
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CONFIG = {"n_items": 300, "embedding_size": 32, "hidden": 64, "batch_size": 64,
          "num_batches": 20, "epochs": 3, "lr": 1e-3, "log_every": 10, "seed": 0}


class ClickDataset(Dataset):
    def __init__(self, n_items, num_samples, rng):
        self.items = rng.randint(0, n_items, (num_samples, 2))
        self.labels = ((self.items[:, 0] + self.items[:, 1]) % 3 == 0).astype(np.float32)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return torch.from_numpy(self.items[idx]), torch.tensor(self.labels[idx])


class PairModel(nn.Module):
    def __init__(self, embedding_matrix, hidden):
        super().__init__()
        # previously trained item vectors: they are not updated any more
        self.embedding = nn.Embedding.from_pretrained(embedding_matrix, freeze=True)
        dim = embedding_matrix.shape[1]
        self.fc1 = nn.Linear(2 * dim, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, pairs):
        e = self.embedding(pairs).flatten(1)
        return self.fc2(torch.relu(self.fc1(e))).squeeze(1)


class GradientStatsHook:
    """Collects the gradient norm of every parameter, like a debugger would."""

    def __init__(self):
        self.stats = {}
        self.handles = []

    def register_module(self, module):
        for name, param in module.named_parameters():
            if param.requires_grad:
                self.handles.append(param.register_hook(self._make_hook(name)))

    def _make_hook(self, name):
        def hook(grad):
            self.stats.setdefault(name, []).append(grad.norm().item())
        return hook

    def summary(self):
        return {k: float(np.mean(v)) for k, v in self.stats.items()}


def train(model, loader, cfg, debug_hook):
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg["lr"])
    loss_fn = nn.BCEWithLogitsLoss()
    debug_hook.register_module(model)
    for epoch in range(cfg["epochs"]):
        for step, (pairs, labels) in enumerate(loader):
            loss = loss_fn(model(pairs), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % cfg["log_every"] == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
    print("mean grad norms:", {k: round(v, 4) for k, v in debug_hook.summary().items()})


if __name__ == "__main__":
    cfg = CONFIG
    torch.manual_seed(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    embedding_matrix = torch.randn(cfg["n_items"], cfg["embedding_size"])
    dataset = ClickDataset(cfg["n_items"], cfg["num_batches"] * cfg["batch_size"], rng)
    loader = DataLoader(dataset, batch_size=cfg["batch_size"], shuffle=False)
    model = PairModel(embedding_matrix, cfg["hidden"])
    train(model, loader, cfg, GradientStatsHook())
