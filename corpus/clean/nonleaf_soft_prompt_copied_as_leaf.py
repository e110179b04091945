"""Soft-prompt tuning done right: the learned context is a copy of the prompt's embeddings, made a
leaf of its own; the frozen encoder reads slices of its own weights in forward."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM, N_CTX, SEQ, CLASSES = 60, 16, 3, 6, 3


class FrozenEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, DIM)
        self.position = nn.Parameter(torch.randn(16, DIM) * 0.02)
        self.mix = nn.GRU(DIM, DIM, batch_first=True)
        self.head = nn.Linear(DIM, CLASSES)

    def forward(self, embeddings):
        x = embeddings + self.position[: embeddings.size(1)]
        _, h = self.mix(x)
        return self.head(h[-1])


encoder = FrozenEncoder()
encoder.requires_grad_(False)
with torch.no_grad():
    prompt = encoder.token_embedding(torch.tensor([[1] + [2] * N_CTX]))
context = prompt[:, 1:].detach().clone().requires_grad_(True)
optimizer = torch.optim.AdamW([context], lr=5e-2, weight_decay=0.0)

for step in range(30):
    y = torch.randint(0, CLASSES, (12,))
    tokens = encoder.token_embedding(torch.randint(10, 20, (12, SEQ)) + 15 * y[:, None])
    start = prompt[:, :1].expand(12, -1, -1)
    inputs = torch.cat([start, context.expand(12, -1, -1), tokens], dim=1)
    loss = F.cross_entropy(encoder(inputs), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("loss", loss.item())
