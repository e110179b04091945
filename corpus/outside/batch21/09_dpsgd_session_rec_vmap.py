"""Differentially private next-item recommender (DP-SGD with torch.func per-sample gradients).

Report: https://github.com/facebookresearch/theseus/issues/496
(vmap over a function that writes into a preallocated tensor with
`out[:, idx] = x[:, idx]`: "vmap: ... is not possible because there exists a Tensor `other` in
extra_args that has more elements than `self`".)

Fault (own words): the hand-written GRU encoder collects its hidden states in a buffer made with
torch.zeros(...) and fills it step by step with an in-place slice assignment. That is fine in a
normal batched forward (the evaluation before training runs), but inside vmap(grad(...)) the buffer
is an ordinary, unbatched tensor while the hidden state is batched over the per-sample dimension,
so the first DP-SGD step fails with the vmap in-place error.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--n-items", type=int, default=200)
parser.add_argument("--dim", type=int, default=32)
parser.add_argument("--hidden", type=int, default=48)
parser.add_argument("--session-len", type=int, default=8)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--lr", type=float, default=3e-3)
parser.add_argument("--max-grad-norm", type=float, default=1.0)
parser.add_argument("--noise-multiplier", type=float, default=0.6)
parser.add_argument("--seed", type=int, default=7)
args = parser.parse_args([])

torch.manual_seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"


def make_sessions(n, n_items, length, gen):
    """Sessions walk through item 'neighbourhoods': next item = previous + small step."""
    start = torch.randint(0, n_items, (n, 1), generator=gen)
    steps = torch.randint(1, 4, (n, length), generator=gen)
    seq = (start + steps.cumsum(1)) % n_items
    return seq[:, :-1], seq[:, -1]


class SessionGRU(nn.Module):
    def __init__(self, n_items, dim, hidden):
        super().__init__()
        self.item_emb = nn.Embedding(n_items, dim)
        self.w_ih = nn.Linear(dim, 3 * hidden)
        self.w_hh = nn.Linear(hidden, 3 * hidden)
        self.attn = nn.Linear(hidden, 1)
        self.out = nn.Linear(hidden, n_items)
        self.hidden = hidden

    def gru_step(self, x, h):
        r_i, z_i, n_i = self.w_ih(x).chunk(3, -1)
        r_h, z_h, n_h = self.w_hh(h).chunk(3, -1)
        r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
        n = torch.tanh(n_i + r * n_h)
        return (1 - z) * n + z * h

    def forward(self, seq):
        # seq: (..., T) item ids; works for a batch (B, T) and for one sample (T,)
        x = self.item_emb(seq)
        h = x.new_zeros(*x.shape[:-2], self.hidden)
        states = torch.zeros(*x.shape[:-1], self.hidden, device=x.device)
        for t in range(x.shape[-2]):
            h = self.gru_step(x[..., t, :], h)
            states[..., t, :] = h
        w = torch.softmax(self.attn(states).squeeze(-1), dim=-1)
        session = (w.unsqueeze(-1) * states).sum(-2)
        return self.out(session)


def per_sample_loss(params, buffers, seq, target):
    logits = functional_call(model, (params, buffers), (seq.unsqueeze(0),))
    return F.cross_entropy(logits, target.unsqueeze(0))


def dp_step(model, optimizer, seq, target):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}
    grads = vmap(grad(per_sample_loss), in_dims=(None, None, 0, 0))(params, buffers, seq, target)
    norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], 1).norm(dim=1)
    clip = (args.max_grad_norm / (norms + 1e-6)).clamp(max=1.0)
    for name, p in model.named_parameters():
        g = (grads[name] * clip.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
        g = g + torch.randn_like(g) * args.noise_multiplier * args.max_grad_norm
        p.grad = g / seq.shape[0]
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)


@torch.no_grad()
def recall_at(model, loader, k=10):
    model.eval()
    hits, n = 0, 0
    for seq, target in loader:
        top = model(seq.to(device)).topk(k, dim=-1).indices
        hits += (top == target.to(device).unsqueeze(1)).any(1).sum().item()
        n += len(seq)
    model.train()
    return hits / n


gen = torch.Generator().manual_seed(args.seed)
tr_seq, tr_tgt = make_sessions(1536, args.n_items, args.session_len, gen)
va_seq, va_tgt = make_sessions(384, args.n_items, args.session_len, gen)
train_loader = DataLoader(TensorDataset(tr_seq, tr_tgt), batch_size=args.batch_size, shuffle=True)
val_loader = DataLoader(TensorDataset(va_seq, va_tgt), batch_size=256)

model = SessionGRU(args.n_items, args.dim, args.hidden).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

print(f"recall@10 before training: {recall_at(model, val_loader):.3f}")
for epoch in range(args.epochs):
    for i, (seq, target) in enumerate(train_loader):
        dp_step(model, optimizer, seq.to(device), target.to(device))
        if i % 8 == 0:
            with torch.no_grad():
                loss = F.cross_entropy(model(seq.to(device)), target.to(device))
            print(f"epoch {epoch} batch {i:02d} loss {loss.item():.4f}")
    print(f"epoch {epoch}: recall@10 {recall_at(model, val_loader):.3f}")
