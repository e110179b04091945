# Next-value regression on noisy sine sequences with a GRU. The readout is made on the first call
# from the width of the GRU output; run_epoch() perturbs each batch with fresh jitter.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SeqRegressor(nn.Module):
    def __init__(self, hidden=24, n_out=1):
        super().__init__()
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.n_out = n_out
        self.readout = nn.LazyLinear(out_features=self.n_out)

    def forward(self, seq):
        out, _ = self.gru(seq)
        return self.readout(out[:, -1])


def run_epoch(model, optimizer, seqs, targets, batch=32):
    for i in range(0, len(seqs), batch):
        x = seqs[i:i + batch] + 0.01 * torch.randn_like(seqs[i:i + batch])
        loss = F.mse_loss(model(x), targets[i:i + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


torch.manual_seed(21)
t = torch.linspace(0, 6.28, 21)
phase = torch.rand(160, 1) * 6.28
waves = torch.sin(t[None, :] + phase)
seqs, targets = waves[:, :20, None], waves[:, 20:]
model = SeqRegressor()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(3):
    print(epoch, run_epoch(model, optimizer, seqs, targets))
