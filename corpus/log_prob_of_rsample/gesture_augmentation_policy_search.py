"""Gesture recognition from wrist accelerometer windows, with a learned augmentation policy.

A small policy network looks at the training progress and the last validation loss and proposes
three augmentation magnitudes (jitter, amplitude scaling, time shift) for the next batch. The
classifier trains on the augmented batch; the policy is rewarded by how much the validation loss
dropped after that step (REINFORCE with a running baseline), in the spirit of population-based
and AutoAugment-style searches, but online.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Independent, Normal

CONFIG = {
    "n_classes": 4,
    "channels": 3,
    "window": 64,
    "n_train": 512,
    "n_val": 256,
    "batch_size": 32,
    "epochs": 3,
    "clf_lr": 2e-3,
    "policy_lr": 1e-2,
    "baseline_decay": 0.9,
    "seed": 5,
}


def make_gestures(n, cfg, gen):
    t = torch.linspace(0, 1, cfg["window"])
    labels = torch.randint(0, cfg["n_classes"], (n,), generator=gen)
    freqs = torch.tensor([2.0, 3.5, 5.0, 7.0])[labels]
    phase = torch.rand(n, cfg["channels"], 1, generator=gen) * 6.283
    amp = 0.5 + torch.rand(n, cfg["channels"], 1, generator=gen)
    x = amp * torch.sin(6.283 * freqs.view(n, 1, 1) * t + phase)
    return x + 0.3 * torch.randn(x.shape, generator=gen), labels


def augment(x, jitter, scale, shift):
    x = x * scale
    x = x + jitter * torch.randn_like(x)
    return torch.roll(x, shifts=shift, dims=-1)


class GestureNet(nn.Module):
    def __init__(self, channels, n_classes):
        super().__init__()
        self.conv1 = nn.Conv1d(channels, 16, kernel_size=7, padding=3)
        self.conv2 = nn.Conv1d(16, 32, kernel_size=5, padding=2)
        self.fc = nn.Linear(32, n_classes)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(x.mean(-1))


class AugmentPolicy(nn.Module):
    def __init__(self, n_ops=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, n_ops))
        self.log_std = nn.Parameter(torch.full((n_ops,), -0.5))

    def forward(self, state):
        return Independent(Normal(self.net(state), self.log_std.exp()), 1)


class AugmentedTrainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.clf = GestureNet(cfg["channels"], cfg["n_classes"])
        self.policy = AugmentPolicy()
        self.clf_opt = torch.optim.Adam(self.clf.parameters(), lr=cfg["clf_lr"])
        self.policy_opt = torch.optim.SGD(self.policy.parameters(), lr=cfg["policy_lr"], momentum=0.9)
        self.baseline = 0.0
        self.last_val_loss = None

    @torch.no_grad()
    def validation_loss(self, x_val, y_val):
        return F.cross_entropy(self.clf(x_val), y_val).item()

    def train_step(self, xb, yb, val_data, progress):
        state = torch.tensor([progress, self.last_val_loss])
        policy_dist = self.policy(state)
        magnitudes = policy_dist.rsample()
        jitter, scale, shift = torch.sigmoid(magnitudes).tolist()

        xb_aug = augment(xb, jitter=0.5 * jitter, scale=0.7 + 0.6 * scale, shift=int(round(8 * shift)))
        clf_loss = F.cross_entropy(self.clf(xb_aug), yb)
        self.clf_opt.zero_grad()
        clf_loss.backward()
        self.clf_opt.step()

        val_loss = self.validation_loss(*val_data)
        reward = self.last_val_loss - val_loss
        self.baseline = self.cfg["baseline_decay"] * self.baseline + (1 - self.cfg["baseline_decay"]) * reward
        policy_loss = -(reward - self.baseline) * policy_dist.log_prob(magnitudes)
        self.policy_opt.zero_grad()
        policy_loss.backward()
        self.policy_opt.step()

        self.last_val_loss = val_loss
        return clf_loss.item(), val_loss

    def fit(self, train_data, val_data):
        x_tr, y_tr = train_data
        self.last_val_loss = self.validation_loss(*val_data)
        n_batches = len(x_tr) // self.cfg["batch_size"]
        total = self.cfg["epochs"] * n_batches
        for epoch in range(self.cfg["epochs"]):
            order = torch.randperm(len(x_tr))
            for b in range(n_batches):
                idx = order[b * self.cfg["batch_size"]:(b + 1) * self.cfg["batch_size"]]
                progress = (epoch * n_batches + b) / total
                clf_loss, val_loss = self.train_step(x_tr[idx], y_tr[idx], val_data, progress)
            with torch.no_grad():
                acc = (self.clf(val_data[0]).argmax(-1) == val_data[1]).float().mean().item()
                mags = torch.sigmoid(self.policy.net(torch.tensor([progress, val_loss]))).tolist()
            print(f"epoch {epoch}: train loss {clf_loss:.3f}  val loss {val_loss:.3f}  val acc {acc:.3f}  "
                  f"policy magnitudes {[round(m, 2) for m in mags]}")


def main():
    torch.manual_seed(CONFIG["seed"])
    gen = torch.Generator().manual_seed(CONFIG["seed"])
    train_data = make_gestures(CONFIG["n_train"], CONFIG, gen)
    val_data = make_gestures(CONFIG["n_val"], CONFIG, gen)
    AugmentedTrainer(CONFIG).fit(train_data, val_data)


if __name__ == "__main__":
    main()
