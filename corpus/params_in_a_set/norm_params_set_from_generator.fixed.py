# A transformer block whose LayerNorm gains get their own learning rate: the gains are gathered with
# set(...) over a generator and handed to the optimizer as a group through a name, which torch
# refuses: "optimizer parameters need to be organized in ordered collections".
import torch
import torch.nn as nn

torch.manual_seed(0)
config = {"dim": 16, "lr": 3e-3, "norm_lr": 1e-2, "steps": 6}


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        return x + self.mlp(self.norm(x))


model = nn.Sequential(Block(config["dim"]), Block(config["dim"]), nn.Linear(config["dim"], 1))
norm_params = [p for name, p in model.named_parameters() if ".norm." in name]
other_params = [p for name, p in model.named_parameters() if ".norm." not in name]
optimizer = torch.optim.AdamW(
    [{"params": other_params}, {"params": norm_params, "lr": config["norm_lr"]}], lr=config["lr"]
)

x, y = torch.randn(64, config["dim"]), torch.randn(64, 1)
for step in range(config["steps"]):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, round(loss.item(), 4))
