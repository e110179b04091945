"""The project's optimizers: a rectified Adam (RAdam) of its own and the factory the scripts use."""
import math

import torch
from torch.optim import Optimizer


class RAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super(RAdam, self).__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["step"], state["m"], state["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                state["m"].mul_(beta1).add_(grad, alpha=1 - beta1)
                state["v"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                m_hat = state["m"] / (1 - beta1 ** t)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
                if rho_t > 4:
                    r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    v_hat = (state["v"] / (1 - beta2 ** t)).sqrt().add_(group["eps"])
                    p.addcdiv_(m_hat, v_hat, value=-group["lr"] * r)
                else:
                    p.add_(m_hat, alpha=-group["lr"])


def build_optimizer(model, cfg):
    """The optimizer named in the config, over the model's parameters."""
    if cfg["optimizer"] == "radam":
        return RAdam(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    return torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
