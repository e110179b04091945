import torch


def train_step(model, x, y, optimizer, loss_fn):
    model.train()
    # forward pass
    out = model(x)
    loss = loss_fn(out, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate(model, x, y, loss_fn):
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = loss_fn(out, y)
    return loss.item()
