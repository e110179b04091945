"""A-GCN style multi-label image classifier.

Label word embeddings are propagated by a 2-layer GCN over an *adaptive* label graph
(adjacency predicted from the embeddings by a non-local block), and the resulting per-label
classifiers are applied to the pooled CNN feature.
"""
import math

import torch
import torch.nn as nn
from torch.nn import Parameter

torch.manual_seed(0)

NUM_CLASSES = 10
WORD_DIM = 32
FEAT_DIM = 64


def gen_adj_new(A):
    D = torch.pow(A.sum(1).float(), -0.5)
    D = torch.diag(D)
    adj = torch.matmul(D, torch.matmul(A, D))
    return adj


class NONLocalBlock1D(nn.Module):
    def __init__(self, in_channels, inter_channels=None):
        super(NONLocalBlock1D, self).__init__()
        self.in_channels = in_channels
        self.inter_channels = inter_channels
        if self.inter_channels is None:
            self.inter_channels = in_channels // 2
            if self.inter_channels == 0:
                self.inter_channels = 1
        self.theta = nn.Conv1d(in_channels=self.in_channels, out_channels=self.inter_channels,
                               kernel_size=1, stride=1, padding=0)
        self.phi = nn.Conv1d(in_channels=self.in_channels, out_channels=self.inter_channels,
                             kernel_size=1, stride=1, padding=0)

    def forward(self, x):
        batch_size = x.size(0)
        theta_x = self.theta(x).view(batch_size, self.inter_channels, -1)
        theta_x = theta_x.squeeze(2)
        phi_x = self.phi(x).view(batch_size, self.inter_channels, -1)
        phi_x = phi_x.squeeze(2).transpose(0, 1)
        f = torch.matmul(theta_x, phi_x)
        N = f.size(-1)
        f_div_C = f / N
        return f_div_C


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features, bias=False):
        super(GraphConvolution, self).__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(torch.Tensor(in_features, out_features))
        if bias:
            self.bias = Parameter(torch.Tensor(1, 1, out_features))
        else:
            self.register_parameter('bias', None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1. / math.sqrt(self.weight.size(1))
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.matmul(input, self.weight)
        output = torch.matmul(adj, support)
        if self.bias is not None:
            return output + self.bias
        return output


class GCNConvNet(nn.Module):
    def __init__(self, num_classes, in_channel=WORD_DIM):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, FEAT_DIM, 3, padding=1), nn.BatchNorm2d(FEAT_DIM), nn.ReLU(),
        )
        self.num_classes = num_classes
        self.pooling = nn.AdaptiveMaxPool2d(1)
        self.non_local_C1 = NONLocalBlock1D(in_channel)
        self.gc1 = GraphConvolution(in_channel, 48)
        self.gc2 = GraphConvolution(48, FEAT_DIM)
        self.activate = nn.LeakyReLU(0.2)

    def forward(self, feature, inp):
        feature = self.features(feature)
        feature = self.pooling(feature)
        feature = feature.view(feature.size(0), -1)
        inp = inp[0]
        inp1 = inp.unsqueeze(2)
        adj = self.non_local_C1(inp1)
        A1 = torch.eye(self.num_classes, self.num_classes).float()
        adj = adj + A1
        adj = gen_adj_new(adj)
        x = self.gc1(inp, adj)
        x = self.activate(x)
        x = self.gc2(x, adj)
        x = x.transpose(0, 1)
        x = torch.matmul(feature, x)
        return x

    def get_config_optim(self, lr, lrp):
        return [
            {'params': self.features.parameters(), 'lr': lr * lrp},
            {'params': self.non_local_C1.parameters(), 'lr': lr},
            {'params': self.gc1.parameters(), 'lr': lr},
            {'params': self.gc2.parameters(), 'lr': lr},
        ]


def make_dataset(n=128):
    """Each label switches on a fixed colour blob; labels co-occur in pairs."""
    imgs = 0.1 * torch.randn(n, 3, 16, 16)
    targets = torch.zeros(n, NUM_CLASSES)
    for i in range(n):
        labs = torch.randperm(NUM_CLASSES)[:2]
        for l in labs.tolist():
            targets[i, l] = 1
            targets[i, (l + 1) % NUM_CLASSES] = 1
    for c in range(NUM_CLASSES):
        r, col = divmod(c, 4)
        imgs[targets[:, c] > 0, c % 3, 4 * r:4 * r + 4, 4 * col:4 * col + 4] += 1.0
    return imgs, targets


if __name__ == "__main__":
    word_vec = torch.randn(1, NUM_CLASSES, WORD_DIM) * 0.5   # label word embeddings (GloVe in the paper)
    model = GCNConvNet(NUM_CLASSES)
    criterion = nn.MultiLabelSoftMarginLoss()
    optimizer = torch.optim.SGD(model.get_config_optim(lr=0.1, lrp=0.1), lr=0.1, momentum=0.9, weight_decay=1e-4)

    images, targets = make_dataset()
    for epoch in range(3):
        model.train()
        for i in range(0, images.shape[0], 32):
            output = model(images[i:i + 32], word_vec)
            loss = criterion(output, targets[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")
