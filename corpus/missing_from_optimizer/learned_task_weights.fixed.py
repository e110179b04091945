import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.regression = nn.Linear(16, 1)
        self.classification = nn.Linear(16, 3)

    def forward(self, x):
        h = self.trunk(x)
        return self.regression(h).squeeze(-1), self.classification(h)


def main():
    torch.manual_seed(0)
    model = TwoHeads()
    # uncertainty weighting (Kendall et al.): one learned log-variance per task
    log_vars = nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.Adam(list(model.parameters()) + [log_vars], lr=1e-2)
    x = torch.randn(64, 6)
    value, label = torch.randn(64), torch.randint(0, 3, (64,))
    for step in range(10):
        predicted, logits = model(x)
        losses = torch.stack([F.mse_loss(predicted, value), F.cross_entropy(logits, label)])
        loss = (torch.exp(-log_vars) * losses + log_vars).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
