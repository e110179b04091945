# A two-stage ConvNeXt-style classifier for 3x32x32 images. Each block scales its residual branch
# by a learned per-channel gamma (layer scale). The SGD groups are gathered module by module.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim, layer_scale=1e-2):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale * torch.ones(dim))

    def forward(self, x):
        h = self.dwconv(x).permute(0, 2, 3, 1)
        h = self.pwconv2(F.gelu(self.pwconv1(self.norm(h))))
        return x + (self.gamma * h).permute(0, 3, 1, 2)


class ConvNeXtTiny(nn.Module):
    def __init__(self, dims=(16, 32), n_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, dims[0], 4, stride=4)
        self.stages = nn.ModuleList([
            nn.Sequential(ConvNeXtBlock(dims[0]), ConvNeXtBlock(dims[0])),
            nn.Sequential(nn.Conv2d(dims[0], dims[1], 2, stride=2), ConvNeXtBlock(dims[1])),
        ])
        self.head = nn.Linear(dims[1], n_classes)

    def forward(self, x):
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(x.mean((2, 3)))


def param_groups(net, weight_decay):
    decay, no_decay = [], []
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            decay.append(m.weight)
            if m.bias is not None:
                no_decay.append(m.bias)
        elif isinstance(m, nn.LayerNorm):
            no_decay.append(m.weight)
            no_decay.append(m.bias)
        no_decay.extend(p for name, p in m.named_parameters(recurse=False) if name not in ("bias", "weight"))
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


torch.manual_seed(1)
x_train = torch.randn(192, 3, 32, 32)
y_train = torch.randint(0, 10, (192,))
net = ConvNeXtTiny()
opt = torch.optim.SGD(param_groups(net, 5e-4), lr=0.05, momentum=0.9)

for epoch in range(2):
    perm = torch.randperm(len(x_train))
    for start in range(0, len(x_train), 32):
        idx = perm[start:start + 32]
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))
