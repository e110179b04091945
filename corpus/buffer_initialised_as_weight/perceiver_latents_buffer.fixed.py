"""A small Perceiver-style classifier: a learned latent array cross-attends to the input tokens."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class LatentCrossAttention(nn.Module):
    def __init__(self, num_latents=4, dim=16, in_dim=8):
        super().__init__()
        self.latents = nn.Parameter(nn.init.xavier_normal_(torch.empty(num_latents, dim)))
        self.to_q = nn.Linear(dim, dim)
        self.to_kv = nn.Linear(in_dim, 2 * dim)

    def forward(self, tokens):
        q = self.to_q(self.latents).expand(tokens.size(0), -1, -1)
        k, v = self.to_kv(tokens).chunk(2, dim=-1)
        attn = torch.softmax(q @ k.transpose(1, 2) / q.size(-1) ** 0.5, dim=-1)
        return attn @ v


class Perceiver(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.cross = LatentCrossAttention()
        self.head = nn.Linear(16, classes)

    def forward(self, tokens):
        return self.head(self.cross(tokens).mean(dim=1))


model = Perceiver()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
tokens = torch.randn(32, 10, 8)
labels = (tokens.mean(dim=(1, 2)) > 0).long() + (tokens[:, 0, 0] > 1).long()
for epoch in range(30):
    loss = F.cross_entropy(model(tokens), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.4f}")
