# Fine-tuning with a frozen encoder: the trainable parameters are computed as the model's
# parameters minus the frozen ones, with set arithmetic, and the difference is Adam's one param
# group, which torch refuses as a set: "optimizer parameters need to be organized in ordered collections".
import torch
import torch.nn as nn

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)
        self.scale = nn.Parameter(torch.ones(3))

    def forward(self, x):
        return self.head(self.encoder(x)) * self.scale


def train(model, steps=5):
    frozen = list(model.encoder.parameters())
    for p in frozen:
        p.requires_grad_(False)
    optimizer = torch.optim.Adam([{"params": [p for p in model.parameters() if p not in set(frozen)], "lr": 1e-2}], betas=(0.9, 0.99))
    x = torch.randn(32, 8)
    y = torch.randint(0, 3, (32,))
    for step in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(step, loss.item())


if __name__ == "__main__":
    train(Classifier())
