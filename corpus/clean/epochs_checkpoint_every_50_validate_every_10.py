"""A classifier trained for 200 epochs that validates every 10 epochs (eval mode, no_grad, the best
checkpoint kept) and saves a checkpoint every 50, logging both. Nothing in those branches changes
what trains: gradfix should cut the epochs as usual and give a plain all-clear, not wait for epoch
50 and then say the checkpoint branch was never reached. Correct."""
import logging
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

logging.basicConfig(level=logging.INFO, format="%(message)s")
logger = logging.getLogger("classifier")


class MetricsLog:
    """A stand-in for a TensorBoard SummaryWriter: scalars kept in memory, flushed to a file."""

    def __init__(self):
        self.scalars = []

    def add_scalar(self, tag, value, step):
        self.scalars.append((tag, value, step))


@torch.no_grad()
def evaluate(model, inputs, labels):
    model.eval()
    correct = 0
    for start in range(0, len(inputs), 16):
        logits = model(inputs[start:start + 16])
        correct += (logits.argmax(dim=1) == labels[start:start + 16]).sum().item()
    model.train()
    return correct / len(inputs)


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
writer = MetricsLog()
inputs, labels = torch.randn(64, 10), torch.randint(0, 3, (64,))
val_inputs, val_labels = torch.randn(32, 10), torch.randint(0, 3, (32,))
checkpoints = "checkpoints"
best_accuracy = 0.0

for epoch in range(200):
    model.train()
    for start in range(0, len(inputs), 16):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs[start:start + 16]), labels[start:start + 16])
        loss.backward()
        optimizer.step()

    if (epoch + 1) % 10 == 0:
        accuracy = evaluate(model, val_inputs, val_labels)
        writer.add_scalar("val/accuracy", accuracy, epoch)
        if accuracy > best_accuracy:
            best_accuracy = accuracy
            os.makedirs(checkpoints, exist_ok=True)
            torch.save(model.state_dict(), os.path.join(checkpoints, "best.pt"))
        logger.info("epoch %d: loss %.4f, validation accuracy %.3f", epoch + 1, loss.item(), accuracy)

    if (epoch + 1) % 50 == 0:
        os.makedirs(checkpoints, exist_ok=True)
        torch.save(
            {"epoch": epoch + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict()},
            os.path.join(checkpoints, f"epoch_{epoch + 1}.pt"),
        )
        logger.info("saved checkpoint at epoch %d", epoch + 1)

print(f"best validation accuracy {best_accuracy:.3f}")
