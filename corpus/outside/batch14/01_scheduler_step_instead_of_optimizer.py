# Report: https://github.com/pytorch/pytorch/issues/3814
# "Scheduler.step() doesn't perform optimizer.step()": the user's trainer called the LR
# scheduler's step() where optimizer.step() belonged, and no weight ever changed.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CONFIG = {"lr": 0.05, "epochs": 4, "batch_size": 32, "step_size": 2, "gamma": 0.5,
          "in_dim": 20, "hidden": 64, "n_classes": 4}


class MLPClassifier(nn.Module):
    def __init__(self, in_dim, hidden, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


def make_data(n=512):
    x = np.random.randn(n, CONFIG["in_dim"]).astype(np.float32)
    w = np.random.randn(CONFIG["in_dim"], CONFIG["n_classes"]).astype(np.float32)
    y = (x @ w).argmax(1)
    return torch.from_numpy(x), torch.from_numpy(y).long()


class Trainer:
    def __init__(self, model, cfg):
        self.model = model.to(device)
        self.cfg = cfg
        self.optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=cfg["step_size"],
                                                         gamma=cfg["gamma"])

    def train_step(self, xb, yb):
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(xb), yb)
        loss.backward()
        # the scheduler "wraps" the optimizer, so stepping it should update the weights
        self.scheduler.step()
        return loss.item()

    def end_of_epoch(self):
        pass

    def fit(self, x, y):
        n = x.shape[0]
        for epoch in range(self.cfg["epochs"]):
            perm = torch.randperm(n)
            losses = []
            for i in range(0, n, self.cfg["batch_size"]):
                idx = perm[i:i + self.cfg["batch_size"]]
                losses.append(self.train_step(x[idx].to(device), y[idx].to(device)))
            self.end_of_epoch()
            print(f"epoch {epoch} loss {np.mean(losses):.4f} lr {self.optimizer.param_groups[0]['lr']:.4g}")


x, y = make_data()
model = MLPClassifier(CONFIG["in_dim"], CONFIG["hidden"], CONFIG["n_classes"])
trainer = Trainer(model, CONFIG)
trainer.fit(x, y)
