# Report: https://github.com/Mdraqibkhan/Phaseformer/issues/7
# "Weighted Loss Dynamic Weighting": the combined loss owns learnable weights
# (self.weights = nn.Parameter(...)), but the optimizer is built from net_g.parameters()
# only, so the loss weights never change.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Opt:
    lr = 2e-4
    beta1 = 0.5
    nEpochs = 3
    batch = 4


opt = Opt()


class PhaseBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)
        self.gate = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        return x + torch.sigmoid(self.gate(x)) * F.gelu(self.conv(x))


class Generator(nn.Module):
    def __init__(self, ch=8):
        super().__init__()
        self.head = nn.Conv2d(3, ch, 3, padding=1)
        self.body = nn.Sequential(PhaseBlock(ch), PhaseBlock(ch))
        self.tail = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, x):
        return x + self.tail(self.body(self.head(x)))


class WeightedLoss(nn.Module):
    """L1 + MSE + gradient loss, mixed with learnable softmax weights."""

    def __init__(self, num_weights=3):
        super().__init__()
        self.weights = nn.Parameter(torch.rand(1, num_weights))

    @staticmethod
    def grad_loss(a, b):
        da = a[..., 1:] - a[..., :-1]
        db = b[..., 1:] - b[..., :-1]
        return F.l1_loss(da, db)

    def forward(self, pred, target):
        terms = torch.stack([F.l1_loss(pred, target), F.mse_loss(pred, target),
                             self.grad_loss(pred, target)])
        w = torch.softmax(self.weights, dim=1).squeeze(0)
        return (w * terms).sum()


net_g = Generator().to(device)
criterion = WeightedLoss().to(device)
optimizer_g = torch.optim.Adam(net_g.parameters(), lr=opt.lr, betas=(opt.beta1, 0.999))

clean = torch.rand(16, 3, 16, 16)
hazy = clean * 0.6 + 0.3
for epoch in range(opt.nEpochs):
    for i in range(0, 16, opt.batch):
        real_a, real_b = hazy[i:i + opt.batch].to(device), clean[i:i + opt.batch].to(device)
        fake_b = net_g(real_a)
        loss_g = criterion(fake_b, real_b)
        optimizer_g.zero_grad()
        loss_g.backward()
        optimizer_g.step()
    print(epoch, loss_g.item(), torch.softmax(criterion.weights, 1).tolist())
