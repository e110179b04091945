# Report: https://github.com/Lightning-AI/pytorch-lightning/issues/18222
# "element 0 of tensors does not require grad and does not have a grad_fn": the training
# step runs as a closure passed to optimizer.step(closure); the user's AdamW (not torch's)
# decorates step() with @torch.no_grad() and calls the closure inside it, so the forward pass
# builds no graph. torch.optim optimizers wrap the closure in torch.enable_grad().
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

HPARAMS = {"lr": 3e-3, "weight_decay": 0.01, "max_epochs": 3, "batch_size": 32}


class AdamW(torch.optim.Optimizer):
    """Hand-written AdamW in the style of the old transformers.optimization.AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                b1, b2 = group["betas"]
                state["step"] += 1
                state["exp_avg"].mul_(b1).add_(p.grad, alpha=1 - b1)
                state["exp_avg_sq"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                step_size = group["lr"] * math.sqrt(1 - b2 ** state["step"]) / (1 - b1 ** state["step"])
                p.addcdiv_(state["exp_avg"], state["exp_avg_sq"].sqrt().add_(group["eps"]), value=-step_size)
                if group["weight_decay"] > 0:
                    p.add_(p, alpha=-group["lr"] * group["weight_decay"])
        return loss


class LitRegressor(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.hp = hp
        self.net = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 1))

    def training_step(self, batch):
        x, y = batch
        return F.mse_loss(self.net(x).squeeze(-1), y)

    def configure_optimizers(self):
        return AdamW(self.parameters(), lr=self.hp["lr"], weight_decay=self.hp["weight_decay"])


class MiniTrainer:
    """Automatic optimization loop: training_step + backward run inside the optimizer closure."""

    def __init__(self, max_epochs):
        self.max_epochs = max_epochs

    def fit(self, module, loader):
        optimizer = module.configure_optimizers()
        module.to(device).train()
        for epoch in range(self.max_epochs):
            for batch in loader:
                batch = [t.to(device) for t in batch]

                def closure():
                    optimizer.zero_grad()
                    loss = module.training_step(batch)
                    loss.backward()
                    return loss

                loss = optimizer.step(closure=closure)
            print(f"epoch {epoch} loss {loss.item():.4f}")


x = torch.randn(256, 8)
y = (x[:, :4].sum(1) - x[:, 4:].prod(1)).float()
loader = [(x[i:i + HPARAMS["batch_size"]], y[i:i + HPARAMS["batch_size"]]) for i in range(0, 256, HPARAMS["batch_size"])]
model = LitRegressor(HPARAMS)
MiniTrainer(HPARAMS["max_epochs"]).fit(model, loader)
