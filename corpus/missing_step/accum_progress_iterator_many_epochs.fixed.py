# Fine-tuning a tiny regressor in the run_glue.py layout: a progress wrapper around the loader,
# many short epochs, and an accumulation (8 batches) longer than an epoch (5 batches).
import sys

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Progress:
    """A minimal progress bar: iterates its loader and prints a dot per batch."""

    def __init__(self, iterable, desc=""):
        self.iterable = iterable
        self.desc = desc

    def __len__(self):
        return len(self.iterable)

    def __iter__(self):
        sys.stdout.write(self.desc)
        for item in self.iterable:
            sys.stdout.write(".")
            yield item
        sys.stdout.write("\n")


def train(num_epochs=30, gradient_accumulation_steps=8):
    torch.manual_seed(0)
    x = torch.randn(40, 10)
    y = x @ torch.randn(10, 1)
    train_loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    model = nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    model.zero_grad()
    for epoch in range(num_epochs):
        epoch_iterator = Progress(train_loader, desc=f"epoch {epoch} ")
        for step, (xb, yb) in enumerate(epoch_iterator):
            loss = nn.functional.mse_loss(model(xb), yb) / gradient_accumulation_steps
            loss.backward()
            if (step + 1) % gradient_accumulation_steps == 0 or (step + 1) == len(epoch_iterator):
                optimizer.step()
                model.zero_grad()
    return model


if __name__ == "__main__":
    train()
