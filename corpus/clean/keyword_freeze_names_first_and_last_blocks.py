"""Adapter-style fine-tuning of a 12-block encoder: the two lowest and the two highest blocks
keep their pretrained weights, the middle blocks and the head adapt. The list names each block."""
import torch
import torch.nn as nn

KEEP_FIXED = ["embed", "blocks.0", "blocks.1", "blocks.10", "blocks.11"]


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))

    def forward(self, x):
        return x + self.ff(self.norm(x))


class Encoder(nn.Module):
    def __init__(self, vocab=50, dim=16, depth=12):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, 2)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=1))


torch.manual_seed(0)
model = Encoder()
model.load_state_dict(Encoder().state_dict())
for name, param in model.named_parameters():
    if any(key in name for key in KEEP_FIXED):
        param.requires_grad = False

optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
for step in range(40):
    tokens = torch.randint(0, 50, (16, 10))
    labels = (tokens[:, 0] > 25).long()
    loss = nn.functional.cross_entropy(model(tokens), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
