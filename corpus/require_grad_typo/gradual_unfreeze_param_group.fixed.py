import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import SGD


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(8, 32)
        self.layer2 = nn.Linear(32, 32)
        self.fc = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc(F.relu(self.layer2(F.relu(self.layer1(x)))))


def main():
    torch.manual_seed(0)
    x = torch.randn(100, 8)
    y = x.pow(2).sum(dim=1, keepdim=True)

    model = MLP()
    for name, p in model.named_parameters():
        if not name.startswith("fc"):
            p.requires_grad = False
    optimizer = SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    # gradual unfreezing, top layers first, with smaller learning rates
    schedule = {2: (model.layer2, 1e-4), 4: (model.layer1, 1e-5)}
    for epoch in range(7):
        if epoch in schedule:
            block, lr = schedule[epoch]
            for p in block.parameters():
                p.requires_grad = True
            optimizer.add_param_group({"params": list(block.parameters()), "lr": lr})
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
