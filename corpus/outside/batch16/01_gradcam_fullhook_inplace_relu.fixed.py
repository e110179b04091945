# Report: https://github.com/pytorch/pytorch/issues/61519
# The reporter registered full backward hooks to collect feature maps and gradients (Grad-CAM style)
# on a block that ends with ReLU(inplace=True); the forward pass then fails with
# "Output 0 of BackwardHookFunctionBackward is a view and is being modified inplace".
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CFG = {"epochs": 3, "batch_size": 16, "lr": 1e-2, "n_classes": 4, "seed": 0}


class SmallCNN(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.features = nn.Conv2d(8, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.head = nn.Linear(8, n_classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.act(self.features(x))
        return self.head(x.mean(dim=(2, 3)))


class CamRecorder:
    """Keeps the last activation / gradient of a layer for the attention maps."""

    def __init__(self, layer):
        self.activation = None
        self.gradient = None
        layer.register_forward_hook(self._fwd)
        layer.register_full_backward_hook(self._bwd)

    def _fwd(self, module, inputs, output):
        self.activation = output.detach()

    def _bwd(self, module, grad_input, grad_output):
        self.gradient = grad_output[0].detach()


def make_loader(cfg):
    rng = np.random.RandomState(cfg["seed"])
    x = torch.tensor(rng.randn(64, 3, 12, 12), dtype=torch.float32)
    y = torch.tensor(rng.randint(0, cfg["n_classes"], size=64))
    return DataLoader(TensorDataset(x, y), batch_size=cfg["batch_size"], shuffle=True)


def train(cfg):
    torch.manual_seed(cfg["seed"])
    model = SmallCNN(cfg["n_classes"])
    recorder = CamRecorder(model.features)
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
    crit = nn.CrossEntropyLoss()
    loader = make_loader(cfg)
    for epoch in range(cfg["epochs"]):
        total = 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            total += loss.item()
        cam = (recorder.gradient.mean(dim=(2, 3), keepdim=True) * recorder.activation).sum(1)
        print(f"epoch {epoch} loss {total / len(loader):.4f} cam-max {cam.max().item():.4f}")
    return model


if __name__ == "__main__":
    model = train(CFG)
