# PACT-style activation clipping for a small quantisation-aware MLP: calibrate() creates each
# layer's learnable clipping level from a calibration batch, after the optimizer and its scheduler.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ClippedLinear(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)

    def calibrate(self, x):
        out = F.relu(self.linear(x))
        self.alpha = nn.Parameter(out.detach().quantile(0.99).reshape(1))
        return out

    def forward(self, x):
        out = F.relu(self.linear(x))
        return torch.minimum(out, self.alpha)


class ClippedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = ClippedLinear(20, 64)
        self.layer2 = ClippedLinear(64, 64)
        self.head = nn.Linear(64, 3)

    @torch.no_grad()
    def calibrate(self, x):
        x = self.layer1.calibrate(x)
        self.layer2.calibrate(x)

    def forward(self, x):
        return self.head(self.layer2(self.layer1(x)))


def main():
    torch.manual_seed(4)
    data = torch.randn(900, 20)
    target = (data[:, :3] * torch.tensor([1.0, -2.0, 0.5])).argmax(1)
    model = ClippedMLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    model.calibrate(data[:256])
    for epoch in range(6):
        for i in range(0, 900, 150):
            loss = F.cross_entropy(model(data[i:i + 150]), target[i:i + 150])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(epoch, f"{loss.item():.3f}")


if __name__ == "__main__":
    main()
