# Report: https://github.com/benedekrozemberczki/pytorch_geometric_temporal/issues/80
# Summary: the GRU-evolved GCN weight is re-wrapped with nn.Parameter(W), cutting it from the graph, so the GRU cell and initial weight never train (silent).
import torch
import torch.nn as nn


class GraphConv(nn.Module):
    """Dense graph convolution whose weight is provided from outside."""

    def __init__(self, out_dim):
        super().__init__()
        self.register_parameter("weight", None)
        self.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, x, adj):
        return adj @ (x @ self.weight) + self.bias


class EvolveGCN(nn.Module):
    def __init__(self, in_dim, hid_dim):
        super().__init__()
        self.initial_weight = nn.Parameter(torch.empty(in_dim, hid_dim))
        nn.init.xavier_uniform_(self.initial_weight)
        self.evolve = nn.GRUCell(hid_dim, hid_dim)
        self.conv = GraphConv(hid_dim)
        self.readout = nn.Linear(hid_dim, 1)

    def forward(self, snapshots):
        W = self.initial_weight
        preds = []
        for x, adj in snapshots:
            W = self.evolve(W, W)
            self.conv.weight = nn.Parameter(W)
            h = torch.relu(self.conv(x, adj))
            preds.append(self.readout(h).squeeze(-1))
        return torch.stack(preds)


def make_snapshots(n_nodes=30, in_dim=8, steps=5):
    snaps, targets = [], []
    for _ in range(steps):
        a = (torch.rand(n_nodes, n_nodes) < 0.1).float()
        a = ((a + a.t() + torch.eye(n_nodes)) > 0).float()
        adj = a / a.sum(dim=1, keepdim=True)
        x = torch.randn(n_nodes, in_dim)
        snaps.append((x, adj))
        targets.append(adj @ x[:, 0])
    return snaps, torch.stack(targets)


def main():
    torch.manual_seed(11)
    dataset = [make_snapshots() for _ in range(20)]
    model = EvolveGCN(in_dim=8, hid_dim=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    for epoch in range(5):
        total = 0.0
        for snapshots, target in dataset:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(snapshots), target)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: mse {total / len(dataset):.4f}")


if __name__ == "__main__":
    main()
