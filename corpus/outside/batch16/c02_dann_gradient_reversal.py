# Look-alike of: https://github.com/fungtion/DANN (models/functions.py, ReverseLayerF)
# A custom autograd.Function whose backward returns the *negated* gradient and None for alpha looks
# like a broken backward, but it is the gradient reversal layer of domain-adversarial training:
# the feature extractor, the label classifier and the domain classifier all train.
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Function

CFG = {"d_in": 10, "feat": 16, "n_classes": 3, "epochs": 4, "batch": 16, "lr": 1e-2, "seed": 0}


class ReverseLayerF(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        output = grad_output.neg() * ctx.alpha
        return output, None


class DANN(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.feature = nn.Sequential(nn.Linear(cfg["d_in"], cfg["feat"]), nn.ReLU())
        self.class_classifier = nn.Linear(cfg["feat"], cfg["n_classes"])
        self.domain_classifier = nn.Sequential(nn.Linear(cfg["feat"], 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x, alpha):
        f = self.feature(x)
        return self.class_classifier(f), self.domain_classifier(ReverseLayerF.apply(f, alpha))


def main(cfg):
    torch.manual_seed(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    xs = torch.tensor(rng.randn(64, cfg["d_in"]), dtype=torch.float32)
    ys = torch.tensor(rng.randint(0, cfg["n_classes"], 64))
    xt = torch.tensor(rng.randn(64, cfg["d_in"]) + 0.5, dtype=torch.float32)
    net = DANN(cfg)
    opt = torch.optim.Adam(net.parameters(), lr=cfg["lr"])
    ce = nn.CrossEntropyLoss()
    n_batches = 64 // cfg["batch"]
    for epoch in range(cfg["epochs"]):
        for i in range(n_batches):
            p = float(i + epoch * n_batches) / (cfg["epochs"] * n_batches)
            alpha = 2.0 / (1.0 + np.exp(-10 * p)) - 1
            sl = slice(i * cfg["batch"], (i + 1) * cfg["batch"])
            cls_out, dom_s = net(xs[sl], alpha)
            _, dom_t = net(xt[sl], alpha)
            err_label = ce(cls_out, ys[sl])
            err_domain = ce(dom_s, torch.zeros(cfg["batch"], dtype=torch.long)) + \
                ce(dom_t, torch.ones(cfg["batch"], dtype=torch.long))
            loss = err_label + err_domain
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} label {err_label.item():.4f} domain {err_domain.item():.4f}")
    return net


if __name__ == "__main__":
    net = main(CFG)
