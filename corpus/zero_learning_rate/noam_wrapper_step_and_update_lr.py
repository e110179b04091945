# Tiny Transformer language model trained with a warm-up schedule held by a ScheduledOptim wrapper
# (the attention-is-all-you-need-pytorch layout: the wrapper sets the rate, then steps Adam).
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ScheduledOptim:
    """A simple wrapper class for learning rate scheduling."""

    def __init__(self, optimizer, lr_mul, d_model, n_warmup_steps):
        self._optimizer = optimizer
        self.lr_mul = lr_mul
        self.d_model = d_model
        self.n_warmup_steps = n_warmup_steps
        self.n_steps = 0

    def step_and_update_lr(self):
        self._update_learning_rate()
        self._optimizer.step()

    def zero_grad(self):
        self._optimizer.zero_grad()

    def _get_lr_scale(self):
        d_model, n_steps, n_warmup_steps = self.d_model, self.n_steps, self.n_warmup_steps
        return (d_model ** -0.5) * min(n_steps ** (-0.5), n_steps * n_warmup_steps ** (-1.5))

    def _update_learning_rate(self):
        self.n_steps += 1
        lr = self.lr_mul * self._get_lr_scale()
        for param_group in self._optimizer.param_groups:
            param_group['lr'] = lr


class TinyLM(nn.Module):
    def __init__(self, vocab=50, d_model=32):
        super().__init__()
        self.emb = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, 16, d_model) / math.sqrt(d_model))
        layer = nn.TransformerEncoderLayer(d_model, 4, 64, dropout=0.0, batch_first=True)
        self.body = nn.TransformerEncoder(layer, 2)
        self.proj = nn.Linear(d_model, vocab)

    def forward(self, tokens):
        mask = nn.Transformer.generate_square_subsequent_mask(tokens.size(1))
        return self.proj(self.body(self.emb(tokens) + self.pos[:, :tokens.size(1)], mask=mask))


torch.manual_seed(0)
model = TinyLM()
optimizer = ScheduledOptim(torch.optim.Adam(model.parameters(), lr=0.0, betas=(0.9, 0.98), eps=1e-9), 2.0, 32, 400)
corpus = torch.randint(0, 50, (64, 17))

for epoch in range(4):
    for i in range(0, 64, 16):
        seq = corpus[i:i + 16]
        logits = model(seq[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 50), seq[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer._optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
