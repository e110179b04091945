"""Skip-gram with negative sampling and an L2 penalty on both tables. The tables are sparse and go
to SparseAdam by their flag; the penalty reads each whole `.weight`, so both gradients are dense."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, NEG = 200, 16, 4


class SGNS(nn.Module):
    def __init__(self):
        super().__init__()
        self.center = nn.Embedding(VOCAB, DIM, sparse=True)
        self.context = nn.Embedding(VOCAB, DIM, sparse=True)

    def forward(self, c, o, negatives):
        vc = self.center(c)
        pos = F.logsigmoid((vc * self.context(o)).sum(-1))
        neg = F.logsigmoid(-torch.bmm(self.context(negatives), vc.unsqueeze(2)).squeeze(2)).sum(1)
        return -(pos + neg).mean()

    def penalty(self):
        return self.center.weight.pow(2).sum() + self.context.weight.pow(2).sum()


def optimizers_for(model, lr):
    tables = [m.weight for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse]
    others = [p for p in model.parameters() if all(p is not t for t in tables)]
    opts = [torch.optim.Adam(others, lr=lr)] if others else []
    if tables:
        opts.append(torch.optim.SparseAdam(tables, lr=lr))
    return opts


torch.manual_seed(0)
model = SGNS()
opts = optimizers_for(model, 5e-3)
words = torch.randint(0, VOCAB, (500,))
pairs = torch.stack([words[:-1], words[1:]], 1)
for epoch in range(3):
    for s in range(0, len(pairs), 128):
        batch = pairs[s:s + 128]
        loss = model(batch[:, 0], batch[:, 1], torch.randint(0, VOCAB, (len(batch), NEG))) + 1e-4 * model.penalty()
        for opt in opts:
            opt.zero_grad()
        loss.backward()
        for opt in opts:
            opt.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
