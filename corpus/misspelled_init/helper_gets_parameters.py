import torch as T
import torch.nn as nn


class Generator(nn.Module):
    def __initi__(self, z_dim=8, out_dim=2):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 32), nn.LeakyReLU(0.2), nn.Linear(32, out_dim))
        self.z_dim = z_dim

    def forward(self, z):
        return self.net(z)


def make_optimizer(params, lr=1e-3):
    return T.optim.Adam(params, lr=lr, betas=(0.5, 0.999))


T.manual_seed(0)
gen = Generator()
opt = make_optimizer(gen.parameters(), lr=2e-3)
target = T.tensor([2.0, -1.0])
for it in range(5):
    z = T.randn(64, 8)
    loss = (gen(z) - target).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(it, loss.item())
