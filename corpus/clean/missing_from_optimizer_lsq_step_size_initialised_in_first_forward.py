# LSQ quantiser done the usual way: the step size is a parameter from __init__ (so the optimizer
# holds it), and the first forward only writes its data-dependent initial value into it.
import torch
import torch.nn as nn
import torch.nn.functional as F


class LsqQuantizer(nn.Module):
    def __init__(self, bits=4):
        super().__init__()
        self.qmax = 2 ** (bits - 1) - 1
        self.step = nn.Parameter(torch.ones(1))
        self.register_buffer("initialised", torch.tensor(False))

    def forward(self, x):
        if not self.initialised:
            with torch.no_grad():
                self.step.copy_(2 * x.abs().mean() / self.qmax ** 0.5)
                self.initialised.fill_(True)
        q = torch.clamp(x / self.step, -self.qmax - 1, self.qmax)
        q = (q.round() - q).detach() + q
        return q * self.step


class QuantNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(12, 32), nn.Linear(32, 4)
        self.q_in, self.q_hidden = LsqQuantizer(), LsqQuantizer()

    def forward(self, x):
        return self.fc2(self.q_hidden(F.relu(self.fc1(self.q_in(x)))))


torch.manual_seed(0)
x = torch.randn(512, 12)
y = (x[:, :4] - x[:, 4:8]).argmax(1)
model = QuantNet()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(4):
    for i in range(0, 512, 64):
        loss = F.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
