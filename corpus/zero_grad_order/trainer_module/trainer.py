import torch.nn as nn


def train_one_epoch(model, loader, optimizer, criterion):
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total += loss.item() * inputs.size(0)
        count += inputs.size(0)
    return total / count


def make_criterion():
    return nn.MSELoss()
