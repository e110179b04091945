"""Deep MLP regressor on tabular features, run in checkpointed segments."""
import torch
import torch.nn as nn
import torch.utils.checkpoint as ckpt

torch.manual_seed(0)


def make_mlp(d_in, width, depth):
    layers = [nn.Linear(d_in, width), nn.ReLU()]
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.LayerNorm(width), nn.ReLU()]
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class Regressor(nn.Module):
    def __init__(self, d_in=8, width=64, depth=4, segments=3):
        super().__init__()
        self.mlp = make_mlp(d_in, width, depth)
        self.segments = segments

    def forward(self, x):
        return ckpt.checkpoint_sequential(self.mlp, self.segments, x, use_reentrant=False).squeeze(-1)


w_true = torch.randn(8)
features = torch.randn(512, 8)
targets = torch.sin(features @ w_true) + 0.05 * torch.randn(512)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(features, targets), batch_size=32, shuffle=True)

reg = Regressor()
opt = torch.optim.SGD(reg.parameters(), lr=0.05, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)

for epoch in range(10):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(reg(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
    sched.step()
    print(epoch, total / len(features))
