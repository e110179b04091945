# Report: https://github.com/Lightning-AI/pytorch-lightning/pull/19067
# With empty (meta-device) initialisation, the optimizer was set up before the model was
# materialised, so it references the meta-device parameters instead of the real ones: the loss is
# printed every epoch but the materialised weights never change.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CFG = {"d_in": 12, "hidden": 32, "n_out": 1, "epochs": 4, "batch_size": 16, "lr": 1e-2,
       "seed": 0, "empty_init": True}


class Regressor(nn.Module):
    def __init__(self, d_in, hidden, n_out):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d_in, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.out = nn.Linear(hidden, n_out)

    def reset_parameters(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.out(self.body(x))


def setup(cfg):
    device = torch.device("meta") if cfg["empty_init"] else torch.device("cpu")
    with device:
        model = Regressor(cfg["d_in"], cfg["hidden"], cfg["n_out"])
    if cfg["empty_init"]:
        model.to_empty(device="cpu")
        model.reset_parameters()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    return model, optimizer


def make_loader(cfg):
    rng = np.random.RandomState(cfg["seed"])
    x = torch.tensor(rng.randn(128, cfg["d_in"]), dtype=torch.float32)
    y = x[:, :3].sum(1, keepdim=True) + 0.1 * torch.tensor(rng.randn(128, 1), dtype=torch.float32)
    return DataLoader(TensorDataset(x, y), batch_size=cfg["batch_size"], shuffle=True)


def fit(model, optimizer, loader, cfg):
    for epoch in range(cfg["epochs"]):
        tot = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            optimizer.step()
            tot += loss.item()
        print(f"epoch {epoch} mse {tot / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(CFG["seed"])
    model, optimizer = setup(CFG)
    fit(model, optimizer, make_loader(CFG), CFG)
