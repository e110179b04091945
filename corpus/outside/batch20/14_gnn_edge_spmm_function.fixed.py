# Report: https://github.com/hszhao/SAN/issues/3
# A node classifier on a synthetic citation-style graph uses a hand-written autograd.Function for
# edge-weighted neighbour aggregation (out[dst] += w_e * x[src]), with per-edge weights predicted
# by a small edge MLP. The Function's backward builds the edge-weight gradient with keepdim=True,
# shape [E, 1], while the weight input has shape [E]; the two shapes do not broadcast, so the
# first loss.backward() fails: "Function EdgeSpMMBackward returned an invalid gradient at index 1
# - got [E, 1] but expected shape compatible with [E]".
import torch
import torch.nn as nn
import torch.nn.functional as F

N_NODES, N_FEAT, N_CLASSES, HIDDEN = 300, 16, 4, 32
EPOCHS, LR = 60, 1e-2
g = torch.Generator().manual_seed(2)


def make_graph():
    y = torch.randint(0, N_CLASSES, (N_NODES,), generator=g)
    x = torch.randn(N_NODES, N_FEAT, generator=g) + F.one_hot(y, N_FEAT).float() * 0.8
    src = torch.randint(0, N_NODES, (3000,), generator=g)
    dst = torch.randint(0, N_NODES, (3000,), generator=g)
    keep = (y[src] == y[dst]) | (torch.rand(3000, generator=g) < 0.2)
    edge_index = torch.stack([src[keep], dst[keep]])
    perm = torch.randperm(N_NODES, generator=g)
    return x, y, edge_index, perm[:150], perm[150:225], perm[225:]


class EdgeSpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, src, dst, n_nodes):
        ctx.save_for_backward(x, weight, src, dst)
        out = x.new_zeros(n_nodes, x.size(1))
        out.index_add_(0, dst, weight.unsqueeze(-1) * x[src])
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, src, dst = ctx.saved_tensors
        g_dst = grad_out[dst]
        grad_x = torch.zeros_like(x).index_add_(0, src, weight.unsqueeze(-1) * g_dst)
        grad_w = (g_dst * x[src]).sum(-1)
        return grad_x, grad_w, None, None, None


class EdgeConv(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out)
        self.edge_mlp = nn.Sequential(nn.Linear(2 * d_in, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, x, edge_index):
        src, dst = edge_index
        w = torch.sigmoid(self.edge_mlp(torch.cat([x[src], x[dst]], -1))).squeeze(-1)
        deg = torch.zeros(x.size(0)).index_add_(0, dst, w).clamp_min(1.0)
        agg = EdgeSpMM.apply(x, w, src, dst, x.size(0)) / deg.unsqueeze(-1)
        return self.lin(agg + x)


class GNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = EdgeConv(N_FEAT, HIDDEN)
        self.conv2 = EdgeConv(HIDDEN, HIDDEN)
        self.cls = nn.Linear(HIDDEN, N_CLASSES)

    def forward(self, x, edge_index):
        h = F.dropout(F.relu(self.conv1(x, edge_index)), 0.3, self.training)
        h = F.relu(self.conv2(h, edge_index))
        return self.cls(h)


x, y, edge_index, train_idx, val_idx, test_idx = make_graph()
model = GNN()
opt = torch.optim.Adam(model.parameters(), lr=LR, weight_decay=5e-4)


def acc(idx):
    model.eval()
    with torch.no_grad():
        pred = model(x, edge_index).argmax(-1)
    return (pred[idx] == y[idx]).float().mean().item()


for epoch in range(1, EPOCHS + 1):
    model.train()
    opt.zero_grad()
    loss = F.cross_entropy(model(x, edge_index)[train_idx], y[train_idx])
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d} loss {loss.item():.4f} val {acc(val_idx):.3f} test {acc(test_idx):.3f}")
