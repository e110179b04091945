import torch


@torch.no_grad()
def train_step(model, batch, optimizer, loss_fn):
    inputs, targets = batch
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, loader, loss_fn):
    model.eval()
    total, count = 0.0, 0
    for inputs, targets in loader:
        total += loss_fn(model(inputs), targets).item() * len(inputs)
        count += len(inputs)
    model.train()
    return total / count
