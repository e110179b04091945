# Transfer learning for sensor windows: the encoder's body is loaded from a model trained on
# another site, its adapter is new. The encoder is frozen as a whole before training.
import torch
import torch.nn as nn
import torch.nn.functional as F


def body():
    return nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())


class SiteEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = body()
        self.adapter = nn.Linear(32, 16)

    def forward(self, x):
        return torch.tanh(self.adapter(self.body(x)))


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = SiteEncoder()
        self.classifier = nn.Linear(16, 4)

    def forward(self, x):
        return self.classifier(self.encoder(x))


def main():
    torch.manual_seed(0)
    source_site = body()  # trained elsewhere; its weights are what the encoder starts from
    model = ActivityNet()
    model.encoder.body.load_state_dict(source_site.state_dict())
    model.encoder.body.requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)
    for step in range(40):
        x = torch.randn(64, 6)
        y = (x[:, 0] > 0).long() * 2 + (x[:, 1] > 0).long()
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    print(loss.item())


if __name__ == "__main__":
    main()
