from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F


@contextmanager
def evaluating(model):
    """Evaluation mode and no gradients, for validation."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        yield model
    model.train(was_training)


def main():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    for step in range(10):
        prediction = model(x)
        loss = F.mse_loss(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
