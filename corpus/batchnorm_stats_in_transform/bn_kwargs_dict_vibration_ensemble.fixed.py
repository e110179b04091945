# Bootstrap deep ensemble of 1-D CNNs for bearing-fault detection from vibration windows.
# The members are stacked with torch.func.stack_module_state and run together under vmap, each
# on its own bootstrap resample of the batch; the ensemble's spread flags uncertain windows.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state

CONFIG = {
    "members": 5,
    "channels": [8, 16],
    "norm_kwargs": {"eps": 1e-3, "momentum": 0.01},
    "window": 128,
    "batch_size": 64,
    "epochs": 3,
    "lr": 2e-3,
}


def vibration_windows(n, window, gen):
    t = torch.arange(window).float()
    label = torch.randint(0, 3, (n,), generator=gen)  # healthy, inner-race fault, outer-race fault
    shaft = torch.sin(2 * torch.pi * t / 32 + torch.rand(n, 1, generator=gen) * 6.28)
    period = torch.where(label == 1, 11.0, 17.0).unsqueeze(1)
    impacts = (torch.remainder(t + torch.randint(0, 20, (n, 1), generator=gen), period) < 1.5).float()
    impacts = impacts * (label > 0).float().unsqueeze(1) * 1.5
    ring = torch.sin(2 * torch.pi * t / 4)
    signal = shaft + impacts * ring + 0.5 * torch.randn(n, window, generator=gen)
    return signal.unsqueeze(1), label


class VibrationCNN(nn.Module):
    def __init__(self, channels, norm_kwargs):
        super().__init__()
        blocks, c_in = [], 1
        for c in channels:
            blocks += [nn.Conv1d(c_in, c, 7, padding=3), nn.BatchNorm1d(c, **norm_kwargs, track_running_stats=False), nn.ReLU(), nn.MaxPool1d(4)]
            c_in = c
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Linear(c_in, 3)

    def forward(self, x):
        return self.classifier(self.features(x).amax(-1))


def main(cfg=CONFIG):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = vibration_windows(1600, cfg["window"], gen)
    x_train, y_train, x_test, y_test = x[:1280], y[:1280], x[1280:], y[1280:]

    members = [VibrationCNN(cfg["channels"], cfg["norm_kwargs"]) for _ in range(cfg["members"])]
    params, _ = stack_module_state(members)
    skeleton = copy.deepcopy(members[0])

    def one_member(p, batch):
        return functional_call(skeleton, p, (batch,))

    run_all = torch.vmap(one_member)
    opt = torch.optim.Adam(params.values(), lr=cfg["lr"])
    k = cfg["members"]
    for epoch in range(cfg["epochs"]):
        skeleton.train()
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), cfg["batch_size"]):
            idx = order[i:i + cfg["batch_size"]]
            resample = idx[torch.randint(0, len(idx), (k, len(idx)))]
            logits = run_all(params, x_train[resample])
            loss = F.cross_entropy(logits.flatten(0, 1), y_train[resample].flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
        skeleton.eval()
        with torch.no_grad():
            probs = run_all(params, x_test.expand(k, *x_test.shape)).softmax(-1)
        mean = probs.mean(0)
        acc = (mean.argmax(-1) == y_test).float().mean().item()
        spread = probs.std(0).max(-1).values.mean().item()
        print(f"epoch {epoch}: loss {loss.item():.3f}  ensemble accuracy {acc:.3f}  mean spread {spread:.3f}")


if __name__ == "__main__":
    main()
