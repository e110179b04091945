# Data pruning by gradient norm (GraNd) before training a next-event classifier on synthetic
# user-event sequences: a one-layer causal self-attention model is scored per example with
# func.vmap(func.grad(...)) at initialisation, the 40% of examples with the smallest gradient
# norms are dropped, and Adam trains on the rest.
import torch
import torch.nn.functional as F
from torch import func, nn

EVENTS, LENGTH, DIM = 8, 10, 32


class CausalEventModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(EVENTS, DIM)
        self.pos = nn.Parameter(torch.randn(LENGTH, DIM) * 0.1)
        self.qkv = nn.Linear(DIM, 3 * DIM)
        self.out = nn.Linear(DIM, EVENTS)

    def forward(self, seq):
        h = self.emb(seq) + self.pos
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        scores = torch.full((*q.shape[:-1], q.shape[-2]), float("-inf"))
        for i in range(q.shape[-2]):
            scores[..., i, : i + 1] = (q[..., i : i + 1, :] * k[..., : i + 1, :]).sum(-1) / DIM**0.5
        context = torch.softmax(scores, dim=-1) @ v
        return self.out(context[..., -1, :] + h[..., -1, :])


torch.manual_seed(0)
seqs = torch.randint(0, EVENTS, (512, LENGTH))
nexts = (seqs[:, -1] + seqs[:, -3]) % EVENTS
model = CausalEventModel()


def example_loss(params, seq, target):
    logits = func.functional_call(model, params, (seq.unsqueeze(0),))
    return F.cross_entropy(logits, target.unsqueeze(0))


params = {k: v.detach() for k, v in model.named_parameters()}
grads = func.vmap(func.grad(example_loss), in_dims=(None, 0, 0))(params, seqs, nexts)
scores = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
keep = scores.argsort(descending=True)[: int(0.6 * len(seqs))]
print(f"kept {len(keep)} of {len(seqs)} examples, grad-norm cut at {scores[keep[-1]].item():.3f}")

optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(6):
    order = keep[torch.randperm(len(keep))]
    for i in range(0, len(order), 64):
        batch = order[i : i + 64]
        loss = F.cross_entropy(model(seqs[batch]), nexts[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
