# Look-alike of: https://github.com/kekmodel/FixMatch-pytorch/blob/master/train.py
# The pseudo-labels are built from logits_u_w.detach() and thresholded with a hard max, which looks
# like a cut graph; it is the intended stop-gradient on the weak view: the strong-view and labelled
# losses still train every layer of the model.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = {"d_in": 8, "n_classes": 3, "batch": 8, "mu": 2, "threshold": 0.5, "T": 1.0,
       "lambda_u": 1.0, "steps": 40, "lr": 0.03, "seed": 0}


class WideMLP(nn.Module):
    def __init__(self, d_in, n_classes):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(d_in, 32), nn.BatchNorm1d(32), nn.LeakyReLU(0.1))
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        return self.fc(self.encoder(x))


def weak(x, rng):
    return x + 0.05 * torch.tensor(rng.randn(*x.shape), dtype=torch.float32)


def strong(x, rng):
    mask = torch.tensor(rng.rand(*x.shape) > 0.3, dtype=torch.float32)
    return x * mask + 0.3 * torch.tensor(rng.randn(*x.shape), dtype=torch.float32)


def main(cfg):
    torch.manual_seed(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    model = WideMLP(cfg["d_in"], cfg["n_classes"])
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, nesterov=True)
    for step in range(cfg["steps"]):
        x_l = torch.tensor(rng.randn(cfg["batch"], cfg["d_in"]), dtype=torch.float32)
        y_l = (x_l[:, 0] > 0).long() + (x_l[:, 1] > 1).long()
        x_u = torch.tensor(rng.randn(cfg["batch"] * cfg["mu"], cfg["d_in"]), dtype=torch.float32)
        inputs = torch.cat((x_l, weak(x_u, rng), strong(x_u, rng)))
        logits = model(inputs)
        logits_x = logits[:cfg["batch"]]
        logits_u_w, logits_u_s = logits[cfg["batch"]:].chunk(2)
        Lx = F.cross_entropy(logits_x, y_l)
        pseudo_label = torch.softmax(logits_u_w.detach() / cfg["T"], dim=-1)
        max_probs, targets_u = torch.max(pseudo_label, dim=-1)
        mask = max_probs.ge(cfg["threshold"]).float()
        Lu = (F.cross_entropy(logits_u_s, targets_u, reduction="none") * mask).mean()
        loss = Lx + cfg["lambda_u"] * Lu
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step} Lx {Lx.item():.4f} Lu {Lu.item():.4f} mask {mask.mean().item():.2f}")
    return model


if __name__ == "__main__":
    model = main(CFG)
