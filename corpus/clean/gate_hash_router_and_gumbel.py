"""Two routers that need no gate-probability product: a fixed hash router (no parameters) and a
straight-through Gumbel-softmax router (hard choice forward, soft gradient backward)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
VOCAB, D, E = 30, 12, 3


class HashMoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.experts = nn.ModuleList(nn.Linear(D, D) for _ in range(E))

    def forward(self, h, tokens):
        bucket = tokens % E  # a hash of the token id, not learned
        out = torch.zeros_like(h)
        for e in range(E):
            mask = bucket == e
            out[mask] = self.experts[e](h[mask])
        return out


class GumbelMoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.router = nn.Linear(D, E)
        self.experts = nn.ModuleList(nn.Linear(D, D) for _ in range(E))

    def forward(self, h):
        onehot = F.gumbel_softmax(self.router(h), tau=1.0, hard=True)
        stacked = torch.stack([expert(h) for expert in self.experts], dim=-2)
        return (onehot.unsqueeze(-1) * stacked).sum(-2)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.hash_moe = HashMoE()
        self.gumbel_moe = GumbelMoE()
        self.head = nn.Linear(D, 2)

    def forward(self, tokens):
        h = self.embed(tokens)
        h = h + self.hash_moe(h, tokens)
        h = h + self.gumbel_moe(h)
        return self.head(h.mean(1))


net = Net()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for step in range(20):
    tokens = torch.randint(0, VOCAB, (8, 7))
    labels = (tokens.sum(1) % 2)
    logits = net(tokens)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    acc = (logits.argmax(-1) == labels).float().mean()
print(loss.item(), acc.item())
