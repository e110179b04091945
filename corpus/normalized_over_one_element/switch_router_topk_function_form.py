# A Switch-style top-1 mixture of experts over tokens: the router keeps the best logit with
# torch.topk and only then takes the softmax, over that single value, so every gate is 1.0.
import torch
import torch.nn as nn

torch.manual_seed(0)


class SwitchFFN(nn.Module):
    def __init__(self, d_model=16, d_ff=32, n_experts=4):
        super().__init__()
        self.router = nn.Linear(d_model, n_experts)
        self.experts = nn.ModuleList(
            [nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model)) for _ in range(n_experts)]
        )

    def forward(self, tokens):
        router_logits = self.router(tokens)
        vals, idx = torch.topk(router_logits, k=1, dim=-1)
        weights = torch.softmax(vals, dim=-1)
        out = torch.zeros_like(tokens)
        for e, expert in enumerate(self.experts):
            chosen = idx[:, 0] == e
            if chosen.any():
                out[chosen] = expert(tokens[chosen]) * weights[chosen]
        return tokens + out


class TokenClassifier(nn.Module):
    def __init__(self, vocab=50, d_model=16, n_tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.moe = SwitchFFN(d_model)
        self.tagger = nn.Linear(d_model, n_tags)

    def forward(self, ids):
        return self.tagger(self.moe(self.embed(ids)))


ids = torch.randint(0, 50, (512,))
tags = ids % 5
model = TokenClassifier()
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
for epoch in range(5):
    for start in range(0, 512, 64):
        logits = model(ids[start:start + 64])
        loss = nn.functional.cross_entropy(logits, tags[start:start + 64])
        opt.zero_grad()
        loss.backward()
        opt.step()
