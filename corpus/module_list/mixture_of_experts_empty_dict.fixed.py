import torch
from torch import nn, optim


class MixtureOfExperts(nn.Module):
    def __init__(self, in_dim, out_dim, expert_names=("linear", "deep", "wide")):
        super().__init__()
        self.names = list(expert_names)
        self.experts = nn.ModuleDict()
        for name in self.names:
            hidden = 64 if name == "wide" else 16
            self.experts[name] = nn.Sequential(
                nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim)
            )
        self.gate = nn.Linear(in_dim, len(self.names))

    def forward(self, x):
        weights = torch.softmax(self.gate(x), dim=-1)
        outs = torch.stack([self.experts[n](x) for n in self.names], dim=-1)
        return (outs * weights.unsqueeze(1)).sum(dim=-1)


def main():
    torch.manual_seed(0)
    x = torch.randn(200, 5)
    y = torch.cat([x[:, :2].prod(dim=1, keepdim=True), x[:, 2:].sum(dim=1, keepdim=True)], dim=1)

    model = MixtureOfExperts(5, 2)
    optimizer = optim.RMSprop(model.parameters(), lr=1e-3)

    for it in range(8):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"it {it}: {loss.item():.4f}")


if __name__ == "__main__":
    main()
