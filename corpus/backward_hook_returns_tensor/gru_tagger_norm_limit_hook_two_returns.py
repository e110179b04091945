"""A GRU sequence tagger. A backward hook on the projection layer limits the norm of the
gradient flowing back into the GRU's outputs; it returns early when the norm is already small."""
import torch
from torch import nn

torch.manual_seed(0)
MAX_NORM = 0.5


def limit_gradient_norm(module, grad_input, grad_output):
    (g,) = grad_input
    norm = g.norm()
    if norm > MAX_NORM:
        return g * (MAX_NORM / norm)
    return g


class Tagger(nn.Module):
    def __init__(self, vocab=50, dim=32, tags=6):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.proj = nn.Linear(dim, tags)
        self.proj.register_full_backward_hook(limit_gradient_norm)

    def forward(self, tokens):
        hidden, _ = self.gru(self.embed(tokens))
        return self.proj(hidden)


tokens = torch.randint(0, 50, (256, 12))
tags = tokens % 6
model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(4):
    for i in range(0, 256, 32):
        logits = model(tokens[i:i + 32])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 6), tags[i:i + 32].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
