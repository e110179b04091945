# A bagged ensemble: fit_ensemble() keeps its regressors in a list, each cast "to save memory" with
# .to(dtype=torch.float16) in a loop over the list, then each trained under autocast with a
# GradScaler. The scaler refuses the float16 gradients at the first step.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Member(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.hidden = nn.Linear(10, width)
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))

    def make_optimizer(self):
        return torch.optim.AdamW(self.parameters(), lr=3e-3)


def fit_ensemble(widths):
    members = [Member(w) for w in widths]
    for member in members:
        member.to(dtype=torch.float16)

    inputs = torch.randn(128, 10)
    targets = inputs[:, :3].sum(dim=1, keepdim=True)
    for k, member in enumerate(members):
        optimizer = member.make_optimizer()
        scaler = torch.amp.GradScaler("cpu")
        rows = torch.randperm(128)[:96]
        for epoch in range(5):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = (member(inputs[rows]).float() - targets[rows]).pow(2).mean()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        print(k, loss.item())
    return members


fit_ensemble((16, 24, 32))
