# Look-alike of: https://github.com/SSL92/hyperIQA/issues/5
# The solver sets requires_grad=False on every parameter of the target network, which looks as if it
# blocked training; but the target network's weights are *generated* by the hyper network each
# forward (it owns no parameters of its own), so gradients still reach the hyper network.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = {"feat": 16, "hidden": 8, "epochs": 3, "batch": 8, "lr": 2e-3, "seed": 0}


class HyperNet(nn.Module):
    def __init__(self, feat, hidden):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(feat, 32), nn.ReLU())
        self.fc1w = nn.Linear(32, hidden * feat)
        self.fc1b = nn.Linear(32, hidden)
        self.fc2w = nn.Linear(32, hidden)
        self.fc2b = nn.Linear(32, 1)
        self.feat, self.hidden = feat, hidden

    def forward(self, x):
        h = self.backbone(x)
        return {"target_in": x,
                "w1": self.fc1w(h).view(-1, self.hidden, self.feat), "b1": self.fc1b(h),
                "w2": self.fc2w(h).view(-1, 1, self.hidden), "b2": self.fc2b(h)}


class TargetNet(nn.Module):
    """Quality regressor whose weights come from the hyper network."""

    def __init__(self, paras):
        super().__init__()
        self.paras = paras

    def forward(self, x):
        p = self.paras
        h = torch.sigmoid(torch.bmm(p["w1"], x.unsqueeze(2)).squeeze(2) + p["b1"])
        return (torch.bmm(p["w2"], h.unsqueeze(2)).squeeze(2) + p["b2"]).squeeze(1)


def main(cfg):
    torch.manual_seed(cfg["seed"])
    rng = np.random.RandomState(cfg["seed"])
    x_all = torch.tensor(rng.randn(64, cfg["feat"]), dtype=torch.float32)
    y_all = x_all[:, 0] * 0.5 + 0.1
    model_hyper = HyperNet(cfg["feat"], cfg["hidden"])
    solver = torch.optim.Adam(model_hyper.parameters(), lr=cfg["lr"], weight_decay=5e-4)
    for epoch in range(cfg["epochs"]):
        losses = []
        for i in range(0, 64, cfg["batch"]):
            x, y = x_all[i:i + cfg["batch"]], y_all[i:i + cfg["batch"]]
            solver.zero_grad()
            paras = model_hyper(x)
            model_target = TargetNet(paras)
            for param in model_target.parameters():
                param.requires_grad = False
            pred = model_target(paras["target_in"])
            loss = F.l1_loss(pred, y)
            loss.backward()
            solver.step()
            losses.append(loss.item())
        print(f"epoch {epoch} l1 {np.mean(losses):.4f}")
    return model_hyper


if __name__ == "__main__":
    model_hyper = main(CFG)
