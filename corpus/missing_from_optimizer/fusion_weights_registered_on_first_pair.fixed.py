# Change detection on paired before/after patches from two loaders, zipped. The fusion layer
# registers one learnable weight per input channel on its first call (it reads the channel count
# from the input); train() built the optimizer before that first call.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ChannelFusion(nn.Module):
    def forward(self, before, after):
        if "mix" not in self._parameters:
            self.register_parameter("mix", nn.Parameter(torch.full((before.shape[1], 1, 1), 0.5)))
        return self.mix * (after - before).abs() + (1 - self.mix) * (after - before)


class ChangeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fuse = ChannelFusion()
        self.conv = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))

    def forward(self, before, after):
        return self.conv(self.fuse(before, after)).squeeze(1)


def train(net, before_loader, after_loader, masks, epochs=2):
    with torch.no_grad():
        net(next(iter(before_loader))[0], next(iter(after_loader))[0])
    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    for epoch in range(epochs):
        for step, ((x0,), (x1, m)) in enumerate(zip(before_loader, after_loader)):
            loss = F.binary_cross_entropy_with_logits(net(x0, x1), m)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, round(loss.item(), 4))


torch.manual_seed(9)
before = torch.rand(96, 3, 12, 12)
masks = (torch.rand(96, 12, 12) < 0.2).float()
after = before + masks[:, None] * torch.randn(96, 3, 12, 12)
before_loader = DataLoader(TensorDataset(before), batch_size=16)
after_loader = DataLoader(TensorDataset(after, masks), batch_size=16)
train(ChangeNet(), before_loader, after_loader, masks)
