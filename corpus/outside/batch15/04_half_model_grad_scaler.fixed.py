# Report: https://github.com/Lightning-AI/pytorch-lightning/issues/5140
# "Attempting to unscale FP16 gradients": the user calls model.half() AND trains with native
# 16-bit precision (GradScaler). The scaler refuses to unscale fp16 gradients; mixed precision
# expects fp32 master weights and autocast, not a half model.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {"n_class": 2, "batch_size": 16, "epochs": 2, "lr": 1e-3, "size": 16, "folds": 2}


class Net(nn.Module):
    def __init__(self, n_class):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.fc = nn.Linear(8 * 16, n_class)

    def forward(self, x):
        return self.fc(self.features(x))


class Model(nn.Module):
    """LightningModule-like container holding one net per fold."""

    def __init__(self, n_class, folds):
        super().__init__()
        self.nets = nn.ModuleList([Net(n_class) for _ in range(folds)])
        self.cur_net = self.nets[0]

    def set_net(self, i):
        self.cur_net = self.nets[i]

    def forward(self, x):
        return self.cur_net(x)

    def training_step(self, batch):
        x, y = batch
        return F.cross_entropy(self(x).float(), y)

    def configure_optimizers(self):
        return torch.optim.Adam(self.cur_net.parameters(), lr=config["lr"])


class Trainer:
    """Minimal stand-in for pl.Trainer(precision=16)."""

    def __init__(self, max_epochs, precision=16):
        self.max_epochs = max_epochs
        self.scaler = torch.amp.GradScaler(device, enabled=precision == 16)

    def fit(self, model, loader):
        opt = model.configure_optimizers()
        for _ in range(self.max_epochs):
            for x, y in loader:
                x = x.to(device, dtype=next(model.parameters()).dtype)
                with torch.autocast(device, dtype=torch.float16 if device == "cuda" else torch.bfloat16):
                    loss = model.training_step((x, y.to(device)))
                opt.zero_grad()
                self.scaler.scale(loss).backward()
                self.scaler.unscale_(opt)
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                self.scaler.step(opt)
                self.scaler.update()


def loaders(fold):
    g = torch.Generator().manual_seed(fold)
    x = torch.randn(64, 3, config["size"], config["size"], generator=g)
    y = torch.randint(0, config["n_class"], (64,), generator=g)
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]


def train():
    model = Model(config["n_class"], config["folds"]).to(device)
    for i in range(config["folds"]):
        model.set_net(i)
        trainer = Trainer(max_epochs=config["epochs"], precision=16)
        trainer.fit(model, loaders(i))
    return model


model = train()
