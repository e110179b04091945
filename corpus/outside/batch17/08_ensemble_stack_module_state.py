# Report: https://github.com/pytorch/pytorch/pull/92274
# An ensemble of small regressors is trained in one pass with torch.func: the forward runs
# vmap(functional_call) over the stacked tensors from stack_module_state, which are new leaf
# tensors, but the optimizer is built over the original models' parameters (never used, no grad).
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {
    "num_models": 8,
    "in_features": 16,
    "hidden": 32,
    "out_features": 1,
    "batch_size": 128,
    "steps": 40,
    "lr": 1e-3,
}


class MLP(nn.Module):
    def __init__(self, in_features, hidden, out_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, out_features)

    def forward(self, x):
        x = F.gelu(self.fc1(x))
        x = F.gelu(self.fc2(x))
        return self.out(x)


def make_data(n, in_features):
    x = torch.randn(n, in_features)
    w = torch.randn(in_features, 1)
    y = torch.sin(x @ w) + 0.1 * torch.randn(n, 1)
    return x, y


models = [MLP(config["in_features"], config["hidden"], config["out_features"]).to(device)
          for _ in range(config["num_models"])]

# stacked weights for a single vectorised forward over the whole ensemble
params, buffers = stack_module_state(models)

# "stateless" copy of the architecture, only used to run the stacked weights
base_model = copy.deepcopy(models[0]).to("meta")


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


ensemble_forward = vmap(fmodel, in_dims=(0, 0, None))

all_params = [p for m in models for p in m.parameters()]
optimizer = torch.optim.Adam(all_params, lr=config["lr"])

x_train, y_train = make_data(2048, config["in_features"])
x_train, y_train = x_train.to(device), y_train.to(device)


def train():
    for step in range(config["steps"]):
        idx = torch.randint(0, x_train.shape[0], (config["batch_size"],))
        xb, yb = x_train[idx], y_train[idx]

        preds = ensemble_forward(params, buffers, xb)          # [num_models, B, 1]
        loss = F.mse_loss(preds, yb.expand_as(preds))

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if step % 10 == 0:
            print(f"step {step:3d}  ensemble loss {loss.item():.4f}")


if __name__ == "__main__":
    train()
    with torch.no_grad():
        member_preds = ensemble_forward(params, buffers, x_train[:256])
        print("spread between members:", member_preds.std(0).mean().item())
