# A small engine stores the user's step function and runs it under
# `torch.set_grad_enabled(False)` together with its timing and logging, which it wants kept out
# of the graph. The step function's forward builds no graph; its backward() crashes.
import time

import torch
import torch.nn as nn

torch.manual_seed(0)


class Engine:
    def __init__(self, step_fn):
        self.step_fn = step_fn
        self.history = []

    def run(self, loader, epochs):
        for epoch in range(epochs):
            for features, labels in loader:
                started = time.perf_counter()
                with torch.set_grad_enabled(False):
                    with torch.enable_grad():
                        loss = self.step_fn(features, labels)
                    self.history.append((loss.item(), time.perf_counter() - started))
            print(f"epoch {epoch}: last loss {self.history[-1][0]:.4f}")


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 12)
        self.out = nn.Linear(12, 1)

    def forward(self, tokens):
        return self.out(self.embed(tokens).mean(1)).squeeze(1)


scorer = Scorer()
optimizer = torch.optim.Adam(scorer.parameters(), lr=1e-2)
criterion = nn.BCEWithLogitsLoss()


def update(tokens, labels):
    optimizer.zero_grad()
    loss = criterion(scorer(tokens), labels)
    loss.backward()
    optimizer.step()
    return loss


loader = [(torch.randint(0, 50, (8, 5)), torch.randint(0, 2, (8,)).float()) for _ in range(6)]
Engine(update).run(loader, epochs=3)
