"""Top-1 of sigmoid gates (topk with k=1) routing each sample to one small expert MLP."""
import torch
import torch.nn as nn

torch.manual_seed(4)


class SparseMoE(nn.Module):
    def __init__(self, d_in=8, d_out=2, n_experts=4):
        super().__init__()
        self.w_gate = nn.Linear(d_in, n_experts)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(d_in, 16), nn.ReLU(), nn.Linear(16, d_out)) for _ in range(n_experts))
        self.d_out = d_out

    def forward(self, x):
        gates = torch.sigmoid(self.w_gate(x))
        top_val, top_idx = torch.topk(gates, k=1, dim=-1)
        out = x.new_zeros(x.size(0), self.d_out)
        for b in range(x.size(0)):
            out[b] = self.experts[top_idx[b, 0]](x[b:b + 1])
        return out


moe = SparseMoE()
opt = torch.optim.Adam(moe.parameters(), lr=5e-3)
loss_fn = nn.MSELoss()
for step in range(15):
    x = torch.randn(10, 8)
    target = torch.stack([x[:, :4].sum(1), x[:, 4:].sum(1)], dim=1)
    loss = loss_fn(moe(x), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
