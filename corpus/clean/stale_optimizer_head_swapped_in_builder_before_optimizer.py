"""A builder function loads a pretrained network, replaces its classifier for the task, and only
then makes the optimizer and its warm-up schedule: both hold the new classifier."""
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR


class Pretrained(nn.Module):
    def __init__(self, n_out=100):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 48), nn.GELU(), nn.Linear(48, 48), nn.GELU())
        self.classifier = nn.Sequential(nn.Dropout(0.1), nn.Linear(48, n_out))

    def forward(self, x):
        return self.classifier(self.encoder(x))


def replace_classifier(model, n_out):
    model.classifier[-1] = nn.Linear(model.classifier[-1].in_features, n_out)


def build(n_classes, lr=1e-3, warmup=3):
    model = Pretrained()
    model.load_state_dict(Pretrained().state_dict())  # stand-in for the checkpoint
    replace_classifier(model, n_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    scheduler = LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
    return model, optimizer, scheduler


def main():
    torch.manual_seed(9)
    x, y = torch.randn(64, 20), torch.randint(0, 6, (64,))
    model, optimizer, scheduler = build(n_classes=6)
    for step in range(8):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        print(step, loss.item())


if __name__ == "__main__":
    main()
