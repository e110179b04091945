# Mixtral-style top-2 routing: the router keeps the two best logits and renormalises over those
# two with a softmax. Over two values the softmax is not constant: the router trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Top2MoE(nn.Module):
    def __init__(self, dim=16, n_experts=4, top_k=2):
        super().__init__()
        self.top_k = top_k
        self.gate = nn.Linear(dim, n_experts, bias=False)
        self.experts = nn.ModuleList([nn.Sequential(nn.Linear(dim, 32), nn.SiLU(), nn.Linear(32, dim)) for _ in range(n_experts)])

    def forward(self, x):
        router_logits = self.gate(x)
        routing_weights, selected = torch.topk(router_logits, self.top_k, dim=-1)
        routing_weights = F.softmax(routing_weights, dim=-1)
        out = torch.zeros_like(x)
        for slot in range(self.top_k):
            for e, expert in enumerate(self.experts):
                rows = selected[:, slot] == e
                if rows.any():
                    out[rows] += routing_weights[rows, slot, None] * expert(x[rows])
        return out


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(8, 16)
        self.moe = Top2MoE()
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        h = torch.relu(self.inp(x))
        return self.head(h + self.moe(h))


x = torch.randn(512, 8)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
model = Classifier()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    for i in range(0, 512, 64):
        loss = F.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
