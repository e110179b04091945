import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
        self.cls = nn.Linear(32, 4)

    def forward(self, x):
        h = self.trunk(x)
        return self.cls(h), h


def main():
    torch.manual_seed(0)
    x = torch.randn(160, 12)
    y = torch.randint(0, 4, (160,))
    y_aux = x[:, :3].sum(dim=1, keepdim=True)  # auxiliary regression target
    loader = DataLoader(TensorDataset(x, y, y_aux), batch_size=40, shuffle=True)

    model = Backbone()
    aux = nn.Linear(32, 1)  # auxiliary head on the shared features
    optimizer = optim.Adam(list(model.parameters()) + list(aux.parameters()), lr=1e-3)
    ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()

    for epoch in range(3):
        for xb, yb, ab in loader:
            optimizer.zero_grad()
            logits, h = model(xb)
            loss = ce(logits, yb) + 0.5 * mse(aux(h), ab)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
