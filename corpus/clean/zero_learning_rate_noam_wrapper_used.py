# Transformer encoder classifier trained with the Noam rate: Adam is built with lr=0 on purpose,
# the NoamOpt wrapper sets the rate before every step, and the loop steps the wrapper.
import torch
import torch.nn as nn


class NoamOpt:
    def __init__(self, model_size, factor, warmup, optimizer):
        self.optimizer = optimizer
        self._step = 0
        self.warmup = warmup
        self.factor = factor
        self.model_size = model_size

    def rate(self, step=None):
        step = self._step if step is None else step
        return self.factor * self.model_size ** (-0.5) * min(step ** (-0.5), step * self.warmup ** (-1.5))

    def step(self):
        self._step += 1
        rate = self.rate()
        for p in self.optimizer.param_groups:
            p["lr"] = rate
        self.optimizer.step()


class Classifier(nn.Module):
    def __init__(self, dim=32, classes=3):
        super().__init__()
        self.inp = nn.Linear(6, dim)
        layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 1)
        self.out = nn.Linear(dim, classes)

    def forward(self, x):
        return self.out(self.enc(self.inp(x)).mean(1))


torch.manual_seed(0)
model = Classifier()
opt = NoamOpt(32, 1.0, 50, torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9))
xs = torch.randn(64, 10, 6)
ys = torch.randint(0, 3, (64,))
for epoch in range(3):
    for i in range(0, 64, 16):
        loss = nn.functional.cross_entropy(model(xs[i:i + 16]), ys[i:i + 16])
        opt.optimizer.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item(), opt.rate())
