"""Heterogeneous graph node classification with a HAN-style convolution.

Only "paper" nodes come with features; "author" and "term" nodes get learnable
embeddings (the "extra node types").  Written against plain torch (HANConv
re-implemented below with index_add / scatter softmax) so it runs anywhere.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

num_nodes = {"paper": 30, "author": 20, "term": 10}
in_channels = {"paper": 16, "author": 8, "term": 8}
extra_node_types = ["author", "term"]
attribute_embedding_length = 8
hidden_channels, out_channels = 16, 3
metadata = (["paper", "author", "term"],
            [("author", "writes", "paper"), ("term", "in", "paper")])


def scatter_softmax(src, index, num_nodes):
    src_max = torch.full((num_nodes, src.size(1)), float("-inf"), device=src.device)
    src_max = src_max.scatter_reduce(0, index.unsqueeze(-1).expand_as(src), src, reduce="amax")
    out = (src - src_max[index]).exp()
    denom = torch.zeros(num_nodes, src.size(1), device=src.device).index_add_(0, index, out)
    return out / (denom[index] + 1e-16)


class HANConv(nn.Module):
    def __init__(self, in_channels, out_channels, metadata, heads=4, negative_slope=0.2):
        super().__init__()
        self.heads, self.out_channels, self.negative_slope = heads, out_channels, negative_slope
        self.dim = out_channels // heads
        self.proj = nn.ModuleDict({nt: nn.Linear(in_channels[nt], out_channels) for nt in metadata[0]})
        self.lin_src = nn.ParameterDict({"__".join(et): nn.Parameter(torch.randn(1, heads, self.dim) * 0.1)
                                         for et in metadata[1]})
        self.lin_dst = nn.ParameterDict({"__".join(et): nn.Parameter(torch.randn(1, heads, self.dim) * 0.1)
                                         for et in metadata[1]})
        self.k_lin = nn.Linear(out_channels, out_channels)
        self.q = nn.Parameter(torch.randn(1, out_channels) * 0.1)

    def forward(self, x_dict, edge_index_dict):
        x_node = {nt: self.proj[nt](x).view(-1, self.heads, self.dim) for nt, x in x_dict.items()}
        out_dict = {nt: [] for nt in x_dict}
        for (src_t, rel, dst_t), edge_index in edge_index_dict.items():
            key = "__".join((src_t, rel, dst_t))
            x_src, x_dst = x_node[src_t], x_node[dst_t]
            alpha_src = (x_src * self.lin_src[key]).sum(-1)
            alpha_dst = (x_dst * self.lin_dst[key]).sum(-1)
            src, dst = edge_index
            alpha = F.leaky_relu(alpha_src[src] + alpha_dst[dst], self.negative_slope)
            alpha = scatter_softmax(alpha, dst, x_dst.size(0))
            msg = x_src[src] * alpha.unsqueeze(-1)
            out = torch.zeros_like(x_dst).index_add_(0, dst, msg)
            out_dict[dst_t].append(F.relu(out.view(-1, self.out_channels)))
        # semantic-level attention over edge types
        result = {}
        for nt, outs in out_dict.items():
            if not outs:
                continue
            outs = torch.stack(outs)
            score = (self.q * torch.tanh(self.k_lin(outs)).mean(1)).sum(-1)
            attn = torch.softmax(score, dim=0)
            result[nt] = (attn.view(-1, 1, 1) * outs).sum(0)
        return result


class GCN(nn.Module):
    def __init__(self, in_channels, out_channels, hidden_channels=hidden_channels, heads=4):
        super().__init__()
        self.conv1 = HANConv(in_channels, hidden_channels, heads=heads, metadata=metadata)
        self.lin1 = nn.Linear(hidden_channels, hidden_channels)
        self.lin2 = nn.Linear(hidden_channels, out_channels)
        # learnable embeddings for all extra nodes:
        self.embeddings = {
            nt: torch.nn.Embedding(num_nodes[nt], attribute_embedding_length)
            for nt in extra_node_types
        }
        for nt in extra_node_types:
            self.embeddings[nt].requires_grad = True  # force trainable
            self.embeddings[nt].to(device)

    def forward(self, x_dict, edge_index_dict):
        x_dict = dict(x_dict)
        for nt in extra_node_types:
            x_dict[nt] = self.embeddings[nt].weight
        out = self.conv1(x_dict, edge_index_dict)
        return self.lin2(F.relu(self.lin1(out["paper"])))


def random_edges(n_src, n_dst, n_edges, g):
    return torch.stack([torch.randint(0, n_src, (n_edges,), generator=g),
                        torch.randint(0, n_dst, (n_edges,), generator=g)])


torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
x_dict = {"paper": torch.randn(num_nodes["paper"], in_channels["paper"], generator=g).to(device)}
writes = random_edges(num_nodes["author"], num_nodes["paper"], 60, g)
has = random_edges(num_nodes["paper"], num_nodes["term"], 50, g)
edge_index_dict = {
    ("author", "writes", "paper"): writes.to(device),
    ("term", "in", "paper"): has.flip(0).to(device),
}
y = torch.randint(0, out_channels, (num_nodes["paper"],), generator=g).to(device)
train_mask = torch.rand(num_nodes["paper"], generator=g) < 0.7

model = GCN(in_channels, out_channels).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=0.001)

for epoch in range(1, 21):
    model.train()
    optimizer.zero_grad()
    out = model(x_dict, edge_index_dict)
    loss = F.cross_entropy(out[train_mask], y[train_mask])
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        acc = (out.argmax(-1)[~train_mask] == y[~train_mask]).float().mean().item()
        print(f"Epoch: {epoch:03d}, Loss: {loss.item():.4f}, Val acc: {acc:.3f}")
