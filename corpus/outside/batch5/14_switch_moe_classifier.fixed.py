"""Switch-Transformer (top-1 mixture-of-experts FFN) sequence classifier on a synthetic task."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, SEQ, D_MODEL, N_EXPERTS, N_CLASSES = 50, 12, 32, 4, 3
STEPS, BATCH = 30, 16


class SwitchFeedForward(nn.Module):
    def __init__(self, d_model, n_experts, d_ff, drop_tokens=False):
        super().__init__()
        self.n_experts = n_experts
        self.experts = nn.ModuleList([
            nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model))
            for _ in range(n_experts)
        ])
        self.switch = nn.Linear(d_model, n_experts)
        self.softmax = nn.Softmax(dim=-1)
        self.drop_tokens = drop_tokens

    def forward(self, x):
        batch_size, seq_len, d_model = x.shape
        x = x.reshape(-1, d_model)
        route_prob = self.softmax(self.switch(x))
        route_prob_max, routes = torch.max(route_prob, dim=-1)
        indexes_list = [torch.eq(routes, i).nonzero(as_tuple=True)[0] for i in range(self.n_experts)]
        final_output = x.new_zeros(x.shape)
        counts = x.new_tensor([len(indexes_list[i]) for i in range(self.n_experts)])
        expert_output = [self.experts[i](x[indexes_list[i], :]) for i in range(self.n_experts)]
        for i in range(self.n_experts):
            final_output[indexes_list[i], :] = expert_output[i]
        final_output = final_output * route_prob_max.view(-1, 1)
        final_output = final_output.view(batch_size, seq_len, d_model)
        return final_output, counts, route_prob.sum(0), route_prob_max


class SwitchBlock(nn.Module):
    def __init__(self, d_model, n_heads, ffn):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_heads, batch_first=True)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.ffn = ffn

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        ff, counts, route_prob, _ = self.ffn(self.norm2(x))
        return x + ff, counts


class SwitchClassifier(nn.Module):
    def __init__(self, n_layers=2):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Parameter(torch.randn(1, SEQ, D_MODEL) * 0.02)
        self.layers = nn.ModuleList([
            SwitchBlock(D_MODEL, 4, SwitchFeedForward(D_MODEL, N_EXPERTS, 64)) for _ in range(n_layers)
        ])
        self.norm = nn.LayerNorm(D_MODEL)
        self.head = nn.Linear(D_MODEL, N_CLASSES)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos
        all_counts = []
        for layer in self.layers:
            x, counts = layer(x)
            all_counts.append(counts)
        return self.head(self.norm(x).mean(1)), torch.stack(all_counts)


def make_batch():
    tokens = torch.randint(0, VOCAB, (BATCH, SEQ))
    labels = (tokens[:, 0] + tokens[:, -1]) % N_CLASSES
    return tokens, labels


model = SwitchClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for step in range(STEPS):
    tokens, labels = make_batch()
    logits, counts = model(tokens)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        usage = (counts / counts.sum(-1, keepdim=True)).tolist()
        print(f"step {step:02d} loss {loss.item():.4f} expert usage "
              + " | ".join(" ".join(f"{u:.2f}" for u in layer) for layer in usage))
