"""A ReZero residual MLP: each block adds `resweight * f(x)` to its input, resweight starting at 0."""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ReZeroBlock(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)
        self.resweight = torch.zeros(1).to(device)

    def forward(self, x):
        return x + self.resweight * self.fc2(F.gelu(self.fc1(x)))


class ReZeroMLP(nn.Module):
    def __init__(self, in_dim, width, depth, out_dim):
        super().__init__()
        self.embed = nn.Linear(in_dim, width)
        self.blocks = nn.Sequential(*[ReZeroBlock(width) for _ in range(depth)])
        self.out = nn.Linear(width, out_dim)

    def forward(self, x):
        return self.out(self.blocks(self.embed(x)))


torch.manual_seed(0)
X = torch.randn(512, 10, device=device)
y = torch.sin(X[:, :3].sum(1, keepdim=True)) + 0.1 * X[:, 3:4]

model = ReZeroMLP(10, 32, depth=3, out_dim=1).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
for step in range(200):
    idx = torch.randint(0, X.size(0), (64,))
    pred = model(X[idx])
    loss = F.mse_loss(pred, y[idx])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(step, round(loss.item(), 4))
