"""Node classification on a synthetic two-community graph with a two-layer graph convolution. Each
layer sums the neighbours' messages into their target node with a scatter that adds, normalised by
the in-degree counted the same way before training."""
import torch
from torch import nn

torch.manual_seed(0)

num_nodes, num_feats, num_classes = 200, 16, 2
community = torch.arange(num_nodes) % num_classes
src = torch.randint(0, num_nodes, (1200,))
dst = torch.randint(0, num_nodes, (1200,))
same = community[src] == community[dst]
keep = same | (torch.rand(1200) < 0.1)
src, dst = src[keep], dst[keep]
features = torch.randn(num_nodes, num_feats) + community[:, None].float()

degree = torch.zeros(num_nodes).scatter(0, dst, torch.ones(dst.numel()), reduce="add").clamp(min=1)


class GraphConv(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out)

    def forward(self, x, src, dst):
        messages = self.lin(x)[src]
        index = dst[:, None].expand(-1, messages.shape[1])
        summed = torch.zeros(x.shape[0], messages.shape[1]).scatter(0, index, messages, reduce="add")
        return summed / degree[:, None] + self.lin(x)


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = GraphConv(num_feats, 32)
        self.conv2 = GraphConv(32, num_classes)

    def forward(self, x, src, dst):
        return self.conv2(torch.relu(self.conv1(x, src, dst)), src, dst)


model = GCN()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
train_mask = torch.rand(num_nodes) < 0.3

for epoch in range(100):
    logits = model(features, src, dst)
    loss = nn.functional.cross_entropy(logits[train_mask], community[train_mask])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 20 == 0:
        accuracy = (logits.argmax(dim=1) == community).float().mean()
        print(f"epoch {epoch}: loss {loss.item():.3f} accuracy {accuracy.item():.2f}")
