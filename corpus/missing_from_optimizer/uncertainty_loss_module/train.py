import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

from losses import UncertaintyWeightedLoss


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.depth_head = nn.Linear(32, 1)
        self.class_head = nn.Linear(32, 3)

    def forward(self, x):
        h = self.shared(x)
        return self.depth_head(h), self.class_head(h)


def main():
    torch.manual_seed(0)
    x = torch.randn(120, 10)
    depth = x[:, :2].sum(dim=1, keepdim=True)
    cls = torch.randint(0, 3, (120,))
    loader = DataLoader(TensorDataset(x, depth, cls), batch_size=40, shuffle=True)

    model = MultiTaskNet()
    criterion = UncertaintyWeightedLoss(num_tasks=2)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    for epoch in range(3):
        for xb, db, cb in loader:
            optimizer.zero_grad()
            pred_depth, logits = model(xb)
            losses = [nn.functional.mse_loss(pred_depth, db), nn.functional.cross_entropy(logits, cb)]
            loss = criterion(losses)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} log_vars {criterion.log_vars.tolist()}")


if __name__ == "__main__":
    main()
