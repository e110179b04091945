# Gated attention whose gates start frozen and are switched on after a warm-up: the rest of the
# network gets a head start, then every parameter trains. The optimizer holds the gates from the
# start (Adam skips parameters whose gradient is None), so nothing has to be rebuilt.
import torch
import torch.nn as nn

torch.manual_seed(0)
WARMUP_EPOCHS, EPOCHS = 3, 8


class GatedBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.context = nn.Linear(dim, dim)
        self.gate = nn.Parameter(torch.tensor(0.1), requires_grad=False)

    def forward(self, x):
        return torch.relu(self.proj(x)) + self.gate * self.context(x)


model = nn.Sequential(GatedBlock(12), GatedBlock(12), nn.Linear(12, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(96, 12), torch.randint(0, 3, (96,))

for epoch in range(EPOCHS):
    for i in range(0, 96, 16):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
        loss.backward()
        optimizer.step()
    if epoch + 1 == WARMUP_EPOCHS:
        for block in model[:2]:
            block.gate.requires_grad = True
