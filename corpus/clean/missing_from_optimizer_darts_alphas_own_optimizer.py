# First-order DARTS on a tiny search cell: the architecture weights (alphas) are filtered out of
# the weight optimizer by name, and an architecture optimizer of their own trains them on held-out
# batches.
import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = {
    "conv3": lambda c: nn.Conv2d(c, c, 3, padding=1),
    "conv1": lambda c: nn.Conv2d(c, c, 1),
    "pool": lambda c: nn.AvgPool2d(3, stride=1, padding=1),
}


class MixedOp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ops = nn.ModuleList([make(c) for make in OPS.values()])

    def forward(self, x, weights):
        return sum(w * op(x) for w, op in zip(weights, self.ops))


class SearchNet(nn.Module):
    def __init__(self, c=8, n_edges=2, n_classes=4):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.edges = nn.ModuleList([MixedOp(c) for _ in range(n_edges)])
        self.alphas = nn.Parameter(1e-3 * torch.randn(n_edges, len(OPS)))
        self.head = nn.Linear(c, n_classes)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for edge, a in zip(self.edges, self.alphas):
            x = F.relu(edge(x, torch.softmax(a, dim=-1)))
        return self.head(x.mean((2, 3)))


torch.manual_seed(4)
x = torch.randn(128, 3, 12, 12)
y = torch.randint(0, 4, (128,))
net = SearchNet()
weights = [p for n, p in net.named_parameters() if "alphas" not in n]
w_opt = torch.optim.SGD(weights, lr=0.05, momentum=0.9, weight_decay=3e-4)
a_opt = torch.optim.Adam([net.alphas], lr=3e-3, betas=(0.5, 0.999))

for epoch in range(2):
    for i in range(0, 64, 16):
        xv, yv = x[64 + i:80 + i], y[64 + i:80 + i]
        a_opt.zero_grad()
        F.cross_entropy(net(xv), yv).backward()
        a_opt.step()
        w_opt.zero_grad()
        loss = F.cross_entropy(net(x[i:i + 16]), y[i:i + 16])
        loss.backward()
        w_opt.step()
    print(epoch, loss.item(), net.alphas.softmax(-1).argmax(-1).tolist())
