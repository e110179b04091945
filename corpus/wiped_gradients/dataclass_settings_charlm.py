# LSTM language-model-style training with gradient norm clipping from a settings object.
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class Settings:
    vocab: int = 50
    hidden: int = 32
    lr: float = 0.5
    max_grad_norm: float = 0.0
    epochs: int = 3


class CharLM(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.embed = nn.Embedding(s.vocab, s.hidden)
        self.lstm = nn.LSTM(s.hidden, s.hidden, batch_first=True)
        self.out = nn.Linear(s.hidden, s.vocab)

    def forward(self, ids):
        h, _ = self.lstm(self.embed(ids))
        return self.out(h)


def train(s):
    torch.manual_seed(0)
    text = torch.randint(0, s.vocab, (64, 21))
    model = CharLM(s)
    optimizer = torch.optim.SGD(model.parameters(), lr=s.lr)
    for epoch in range(s.epochs):
        for i in range(0, 64, 16):
            ids = text[i:i + 16]
            logits = model(ids[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, s.vocab), ids[:, 1:].reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=s.max_grad_norm)
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


train(Settings())
