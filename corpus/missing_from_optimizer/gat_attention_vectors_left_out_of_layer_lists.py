# Dense two-layer graph attention network for node classification on a random graph. Weights
# and biases of the linear layers are gathered by comprehension, with weight decay on all.
import torch
import torch.nn as nn
import torch.nn.functional as F


class GATLayer(nn.Module):
    def __init__(self, d_in, d_out, heads):
        super().__init__()
        self.heads, self.d_out = heads, d_out
        self.lin = nn.Linear(d_in, heads * d_out, bias=False)
        self.att_src = nn.Parameter(torch.randn(heads, d_out) * 0.1)
        self.att_dst = nn.Parameter(torch.randn(heads, d_out) * 0.1)
        self.bias = nn.Parameter(torch.zeros(heads * d_out))

    def forward(self, x, adj):
        h = self.lin(x).view(-1, self.heads, self.d_out)
        scores = (h * self.att_src).sum(-1)[:, None, :] + (h * self.att_dst).sum(-1)[None, :, :]
        scores = F.leaky_relu(scores, 0.2).masked_fill(adj[:, :, None] == 0, float("-inf"))
        alpha = torch.softmax(scores, dim=1)
        out = torch.einsum("ijh,jhd->ihd", alpha, h)
        return out.reshape(-1, self.heads * self.d_out) + self.bias


class GAT(nn.Module):
    def __init__(self, d_in, hidden, n_classes, heads=4):
        super().__init__()
        self.conv1 = GATLayer(d_in, hidden, heads)
        self.conv2 = GATLayer(hidden * heads, n_classes, 1)
        self.skip = nn.Linear(d_in, n_classes)

    def forward(self, x, adj):
        h = F.elu(self.conv1(x, adj))
        return self.conv2(h, adj) + self.skip(x)


torch.manual_seed(3)
n, d = 120, 16
feats = torch.randn(n, d)
adj = ((torch.rand(n, n) < 0.05) | torch.eye(n, dtype=torch.bool)).float()
adj = ((adj + adj.T) > 0).float()
labels = torch.randint(0, 3, (n,))

gat = GAT(d, 8, 3)
weights = [m.weight for m in gat.modules() if isinstance(m, nn.Linear)]
biases = [m.bias for m in gat.modules() if isinstance(m, nn.Linear) and m.bias is not None]
optim = torch.optim.Adam(weights + biases, lr=5e-3, weight_decay=5e-4)

for epoch in range(40):
    logits = gat(feats, adj)
    loss = F.cross_entropy(logits, labels)
    optim.zero_grad()
    loss.backward()
    optim.step()
    if epoch % 10 == 0:
        print(epoch, loss.item())
