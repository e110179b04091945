# Report: https://github.com/lezcano/geotorch/issues/44
# Looks like a fault: after torch.nn.utils.parametrizations.orthogonal the layer's `weight`
# is not a leaf and its .grad is None. It is correct: the trainable tensor is now
# `parametrizations.weight.original`, which gets the gradient and is updated.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parametrizations

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class OrthoRNNCell(nn.Module):
    def __init__(self, n_in, n_hid):
        super().__init__()
        self.inp = nn.Linear(n_in, n_hid)
        self.rec = nn.Linear(n_hid, n_hid, bias=False)
        parametrizations.orthogonal(self.rec)

    def forward(self, x, h):
        return torch.tanh(self.inp(x) + self.rec(h))


class CopyTaskModel(nn.Module):
    def __init__(self, n_in=6, n_hid=32):
        super().__init__()
        self.cell = OrthoRNNCell(n_in, n_hid)
        self.readout = nn.Linear(n_hid, n_in)

    def forward(self, seq):
        h = seq.new_zeros(seq.size(0), self.cell.rec.out_features)
        outs = []
        for t in range(seq.size(1)):
            h = self.cell(seq[:, t], h)
            outs.append(self.readout(h))
        return torch.stack(outs, 1)


def make_batch(bs=32, T=12, n_in=6):
    seq = F.one_hot(torch.randint(0, n_in, (bs, T)), n_in).float()
    target = seq.argmax(-1).roll(3, dims=1)
    return seq.to(device), target.to(device)


model = CopyTaskModel().to(device)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(40):
    seq, target = make_batch()
    loss = F.cross_entropy(model(seq).reshape(-1, 6), target.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        w = model.cell.rec.weight
        print(f"step {step} loss {loss.item():.3f} weight.is_leaf={w.is_leaf} "
              f"orth err {(w @ w.T - torch.eye(w.size(0), device=device)).abs().max().item():.1e}")
