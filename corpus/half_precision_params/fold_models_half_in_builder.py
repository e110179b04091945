# Cross-validation: build_fold_model() returns a float16 model (model = model.half()), one per
# fold; each fold trains its own under autocast with a GradScaler, which refuses float16 gradients.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FoldNet(nn.Module):
    def __init__(self, features, classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.GELU(), nn.Linear(32, classes))

    def forward(self, x):
        return self.body(x)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


def build_fold_model(features, classes):
    model = FoldNet(features, classes)
    model = model.half()
    return model


def cross_validate():
    x = torch.randn(120, 6)
    y = (x[:, 0] > 0).long()
    fold_of = torch.arange(120) % 3
    for fold in range(3):
        model = build_fold_model(6, 2)
        optimizer = model.configure_optimizers()
        scaler = torch.amp.GradScaler("cpu")
        train = fold_of != fold
        for epoch in range(4):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = F.cross_entropy(model(x[train]).float(), y[train])
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        print(fold, loss.item())


cross_validate()
