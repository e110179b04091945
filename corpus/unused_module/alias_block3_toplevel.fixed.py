import torch as T
import torch.nn as nn

T.manual_seed(0)


class DeepRegressor(nn.Module):
    def __init__(self, d_in=8, width=16):
        super().__init__()
        self.block1 = nn.Sequential(nn.Linear(d_in, width), nn.SiLU())
        self.block2 = nn.Sequential(nn.Linear(width, width), nn.SiLU())
        self.block3 = nn.Sequential(nn.Linear(width, width), nn.SiLU())
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        return self.head(self.block3(self.block2(self.block1(x))))


x = T.randn(120, 8)
y = x[:, :4].sum(dim=1, keepdim=True) - x[:, 4:].prod(dim=1, keepdim=True)

net = DeepRegressor()
opt = T.optim.RMSprop(net.parameters(), lr=1e-3)
mse = nn.MSELoss()

for it in range(6):
    opt.zero_grad()
    loss = mse(net(x), y)
    loss.backward()
    opt.step()
    print(f"iter {it}: mse {loss.item():.4f}")
