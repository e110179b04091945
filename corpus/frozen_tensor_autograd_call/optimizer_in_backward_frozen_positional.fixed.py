"""Optimizer-in-backward (each parameter stepped by its own optimizer as soon as its gradient is
accumulated) for a tiny transformer encoder whose positional table is fixed, not learned."""
import math

import torch
import torch.nn as nn

torch.manual_seed(2)
SEQ, DIM, VOCAB = 12, 32, 50


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, DIM)
        self.positions = nn.Parameter(self.sinusoids(), requires_grad=False)
        self.layer = nn.TransformerEncoderLayer(DIM, 4, dim_feedforward=64, batch_first=True)
        self.head = nn.Linear(DIM, VOCAB)

    @staticmethod
    def sinusoids():
        position = torch.arange(SEQ).unsqueeze(1)
        div = torch.exp(torch.arange(0, DIM, 2) * (-math.log(10000.0) / DIM))
        table = torch.zeros(SEQ, DIM)
        table[:, 0::2] = torch.sin(position * div)
        table[:, 1::2] = torch.cos(position * div)
        return table

    def forward(self, ids):
        return self.head(self.layer(self.tokens(ids) + self.positions))


model = TinyEncoder()
optimizers = {p: torch.optim.AdamW([p], lr=3e-3) for p in model.parameters()}


def step_in_backward(param):
    optimizers[param].step()
    optimizers[param].zero_grad()


for p in model.parameters():
    if p.requires_grad:
        p.register_post_accumulate_grad_hook(step_in_backward)

data = torch.randint(0, VOCAB, (64, SEQ + 1))
for i in range(0, 64, 16):
    ids, targets = data[i:i + 16, :-1], data[i:i + 16, 1:]
    loss = nn.functional.cross_entropy(model(ids).reshape(-1, VOCAB), targets.reshape(-1))
    loss.backward()  # the hooks step and clear each gradient
    print(f"batch {i // 16}: loss {loss.item():.3f}")
