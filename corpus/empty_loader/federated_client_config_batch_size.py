"""One round of federated averaging, seen from a single client: it receives the global model,
runs a few local epochs on its own readings and sends back its weight delta. The local loader
takes its batch size from the shared federation config."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
cfg = {"batch_size": 32, "local_epochs": 5, "lr": 0.05, "drop_last": True}

global_model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))

# This client (a single sensor site) only holds 24 readings.
client_x = torch.randn(24, 10)
client_y = client_x @ torch.linspace(-1, 1, 10)[:, None] + 0.1 * torch.randn(24, 1)
client_data = TensorDataset(client_x, client_y)


def local_update(model, dataset):
    local = copy.deepcopy(model)
    loader = DataLoader(dataset, batch_size=cfg["batch_size"], shuffle=True, drop_last=cfg["drop_last"])
    opt = torch.optim.SGD(local.parameters(), lr=cfg["lr"])
    for epoch in range(cfg["local_epochs"]):
        for x, y in loader:
            loss = F.mse_loss(local(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return local, {k: local.state_dict()[k] - v for k, v in model.state_dict().items()}


local_model, delta = local_update(global_model, client_data)
norm = sum(d.norm() ** 2 for d in delta.values()) ** 0.5
with torch.no_grad():
    loss = F.mse_loss(local_model(client_x), client_y).item()
print(f"client update norm {norm.item():.4f}, local loss {loss:.4f}")
