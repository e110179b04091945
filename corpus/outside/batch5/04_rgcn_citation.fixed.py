"""Relational GCN (Schlichtkrull et al.) for node classification on a synthetic
heterogeneous citation graph, with hand-written message passing."""
import torch
import torch.nn as nn
import torch.nn.functional as F

RELATIONS = ("cites", "cited_by", "same_venue")


class RGCNLayer(nn.Module):
    def __init__(self, in_dim, out_dim, relations, activation=True):
        super().__init__()
        self.relations = relations
        self.self_loop = nn.Linear(in_dim, out_dim)
        self.rel_weight = nn.ParameterDict()
        for rel in relations:
            w = nn.Parameter(torch.empty(in_dim, out_dim))
            nn.init.xavier_uniform_(w)
            self.rel_weight[rel] = w
        self.activation = activation

    def forward(self, h, edges):
        out = self.self_loop(h)
        for rel in self.relations:
            src, dst = edges[rel]
            msg = h[src] @ self.rel_weight[rel]
            deg = torch.zeros(h.size(0)).index_add_(0, dst, torch.ones_like(dst, dtype=h.dtype))
            msg = msg / deg[dst].clamp(min=1).unsqueeze(-1)
            out = out.index_add(0, dst, msg)
        return F.relu(out) if self.activation else out


class RGCN(nn.Module):
    def __init__(self, in_dim, hid_dim, n_classes, relations, dropout=0.2):
        super().__init__()
        self.layers = nn.ModuleList([
            RGCNLayer(in_dim, hid_dim, relations),
            RGCNLayer(hid_dim, n_classes, relations, activation=False),
        ])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, edges):
        h = x
        for i, layer in enumerate(self.layers):
            if i > 0:
                h = self.dropout(h)
            h = layer(h, edges)
        return h


def make_graph(n_nodes=120, n_feat=16, n_classes=3, n_edges=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, n_classes, (n_nodes,), generator=g)
    centers = torch.randn(n_classes, n_feat, generator=g)
    x = centers[y] + 0.8 * torch.randn(n_nodes, n_feat, generator=g)
    src = torch.randint(0, n_nodes, (n_edges,), generator=g)
    dst = torch.randint(0, n_nodes, (n_edges,), generator=g)
    venue = torch.randint(0, 10, (n_nodes,), generator=g)
    same = torch.nonzero(venue[src] == venue[dst]).flatten()
    edges = {"cites": (src, dst), "cited_by": (dst, src), "same_venue": (src[same], dst[same])}
    perm = torch.randperm(n_nodes, generator=g)
    return x, y, edges, perm[: n_nodes // 2], perm[n_nodes // 2:]


def accuracy(logits, y, idx):
    return (logits[idx].argmax(-1) == y[idx]).float().mean().item()


def main():
    torch.manual_seed(0)
    x, y, edges, train_idx, val_idx = make_graph()
    model = RGCN(x.size(1), 32, int(y.max()) + 1, RELATIONS)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=5e-4)

    for epoch in range(30):
        model.train()
        optimizer.zero_grad()
        logits = model(x, edges)
        loss = F.cross_entropy(logits[train_idx], y[train_idx])
        loss.backward()
        optimizer.step()
        if epoch % 10 == 0:
            model.eval()
            with torch.no_grad():
                logits = model(x, edges)
            print(f"epoch {epoch:02d} loss {loss.item():.4f} "
                  f"train {accuracy(logits, y, train_idx):.3f} val {accuracy(logits, y, val_idx):.3f}")


if __name__ == "__main__":
    main()
