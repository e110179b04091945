"""Token-level top-1 mixture-of-experts encoder layer on a toy sequence-labelling task."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM, EXPERTS, TAGS = 40, 24, 4, 5


class MoELayer(nn.Module):
    def __init__(self, dim, n_experts):
        super().__init__()
        self.router = nn.Linear(dim, n_experts)
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim)) for _ in range(n_experts)])

    def forward(self, h):
        logits = self.router(h)
        choice = logits.argmax(dim=-1)
        out = torch.zeros_like(h)
        for e, expert in enumerate(self.experts):
            mask = choice == e
            if mask.any():
                out[mask] = expert(h[mask])
        return h + out


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.moe = MoELayer(DIM, EXPERTS)
        self.out = nn.Linear(DIM, TAGS)

    def forward(self, tokens):
        return self.out(self.moe(self.embed(tokens)))


model = Tagger()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(20):
    tokens = torch.randint(0, VOCAB, (8, 10))
    tags = tokens % TAGS
    loss = F.cross_entropy(model(tokens).reshape(-1, TAGS), tags.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"final loss {loss.item():.3f}")
