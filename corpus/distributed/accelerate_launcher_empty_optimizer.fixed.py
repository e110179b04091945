"""accelerate's notebook_launcher starts two CPU processes; the optimizer is built before the model's
parameters are collected, from an empty list ("optimizer got an empty parameter list" in rank 0)."""
import torch
import torch.nn as nn
from accelerate import Accelerator, notebook_launcher
from torch.utils.data import DataLoader, TensorDataset


def build_model():
    return nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 1))


def training_function(epochs=3):
    accelerator = Accelerator(cpu=True)
    torch.manual_seed(0)
    model = build_model()
    decay, no_decay = [], []
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(torch.randn(64, 8), torch.randn(64, 1)), batch_size=8, shuffle=True)
    model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
    for epoch in range(epochs):
        for x, y in loader:
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            accelerator.backward(loss)
            optimizer.step()
        accelerator.print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    notebook_launcher(training_function, args=(3,), num_processes=2)
