"""GRIP-style trajectory prediction: graph convolution over interacting agents + GRU seq2seq.

The fixed interaction graph pra_A is computed from the observed positions
outside the model; each graph-conv block adds its own learnable
edge_importance matrix to it ("trainable graph").
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"
max_num_object, history_frames, future_frames, in_channels = 6, 6, 4, 4


class GraphConvolution(nn.Module):
    def __init__(self, in_channels, out_channels, t_kernel_size=1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=(t_kernel_size, 1))

    def forward(self, x, A):
        x = self.conv(x)  # (N, C, T, V)
        x = torch.einsum("nctv,nvw->nctw", x, A)
        return x.contiguous(), A


class Graph_Conv_Block(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size=(3, 1), dropout=0.0):
        super().__init__()
        padding = ((kernel_size[0] - 1) // 2, 0)
        self.gcn = GraphConvolution(in_channels, out_channels)
        self.tcn = nn.Sequential(nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
                                 nn.Conv2d(out_channels, out_channels, kernel_size, padding=padding),
                                 nn.BatchNorm2d(out_channels), nn.Dropout(dropout))
        self.residual = (nn.Sequential(nn.Conv2d(in_channels, out_channels, 1), nn.BatchNorm2d(out_channels))
                         if in_channels != out_channels else nn.Identity())

    def forward(self, x, A):
        res = self.residual(x)
        x, A = self.gcn(x, A)
        return F.relu(self.tcn(x) + res), A


class Model(nn.Module):
    def __init__(self, in_channels, graph_args, edge_importance_weighting=True):
        super().__init__()
        spatial_kernel_size = graph_args["max_hop"] + 1
        self.data_bn = nn.BatchNorm2d(in_channels)
        self.st_gcn_networks = nn.ModuleList((
            Graph_Conv_Block(in_channels, 16),
            Graph_Conv_Block(16, 16),
        ))
        # initialize parameters for edge importance weighting
        if edge_importance_weighting:
            self.edge_importance = nn.ParameterList(
                [nn.Parameter(torch.ones(graph_args["num_node"], graph_args["num_node"]))
                 for _ in self.st_gcn_networks])
        else:
            self.edge_importance = [1] * len(self.st_gcn_networks)
        self.num_node, self.out_dim_per_node = graph_args["num_node"], 2
        self.encoder = nn.GRU(16, 32, batch_first=True)
        self.decoder = nn.GRU(2, 32, batch_first=True)
        self.out = nn.Linear(32, 2)
        self.spatial_kernel_size = spatial_kernel_size

    def forward(self, pra_x, pra_A, pra_pred_length):
        x = self.data_bn(pra_x)
        # forward
        for gcn, importance in zip(self.st_gcn_networks, self.edge_importance):
            x, _ = gcn(x, pra_A + importance)
        N, C, T, V = x.shape
        graph_conv_feature = x.permute(0, 3, 2, 1).reshape(N * V, T, C)
        _, hidden = self.encoder(graph_conv_feature)
        last_pos = pra_x[:, :2, -1:, :].permute(0, 3, 2, 1).reshape(N * V, 1, 2)
        preds, dec_in = [], last_pos
        for _ in range(pra_pred_length):
            out, hidden = self.decoder(dec_in, hidden)
            dec_in = dec_in + self.out(out)
            preds.append(dec_in)
        return torch.cat(preds, 1).view(N, V, pra_pred_length, 2).permute(0, 3, 2, 1)


def compute_adjacency(positions, neighbor_distance=1.5):
    """Fixed graph from the last observed frame (computed outside the model, no grad)."""
    last = positions[:, :2, -1, :].permute(0, 2, 1)  # N, V, 2
    dist = torch.cdist(last, last)
    A = (dist < neighbor_distance).float()
    return A / A.sum(-1, keepdim=True)


torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
start = torch.rand(32, 2, 1, max_num_object, generator=g) * 3
vel = torch.randn(32, 2, 1, max_num_object, generator=g) * 0.1
t = torch.arange(history_frames + future_frames).view(1, 1, -1, 1)
traj = start + vel * t
features = torch.cat([traj, vel.expand_as(traj)], 1)  # x, y, vx, vy
inputs, targets = features[:, :, :history_frames], traj[:, :, history_frames:]

model = Model(in_channels=in_channels, graph_args={"max_hop": 2, "num_node": max_num_object}).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(4):
    model.train()
    for i in range(0, 32, 8):
        x, y = inputs[i:i + 8].to(device), targets[i:i + 8].to(device)
        A = compute_adjacency(x).to(device)
        predicted = model(pra_x=x, pra_A=A, pra_pred_length=future_frames)
        loss = F.mse_loss(predicted, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.5f}")
