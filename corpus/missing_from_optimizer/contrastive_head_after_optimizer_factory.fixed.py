"""Supervised contrastive pre-training: set-up gets the optimizer from a factory (decay and no-decay
groups), then builds the loss with its learned temperature; training runs in another function."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SupConLoss(nn.Module):
    def __init__(self, init_temperature=0.1):
        super().__init__()
        self.log_temperature = nn.Parameter(torch.tensor(init_temperature).log())

    def forward(self, z, labels):
        z = F.normalize(z, dim=1)
        logits = z @ z.t() / self.log_temperature.exp()
        eye = torch.eye(len(z), dtype=torch.bool)
        logits = logits.masked_fill(eye, -1e9)
        same = (labels[:, None] == labels[None, :]) & ~eye
        log_prob = logits.log_softmax(1)
        return -(log_prob * same).sum(1).div(same.sum(1).clamp(min=1)).mean()


def make_optimizer(model, lr, weight_decay=1e-4):
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lr
    )


def setup(lr=3e-3):
    encoder = nn.Sequential(nn.Linear(24, 48), nn.BatchNorm1d(48), nn.ReLU(), nn.Linear(48, 16))
    optimizer = make_optimizer(encoder, lr)
    criterion = SupConLoss()
    optimizer.add_param_group({"params": criterion.parameters()})
    return encoder, criterion, optimizer


def train(encoder, criterion, optimizer, views, labels, epochs=3):
    for epoch in range(epochs):
        for i in range(0, len(views), 32):
            loss = criterion(encoder(views[i:i + 32]), labels[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    encoder, criterion, optimizer = setup()
    labels = torch.randint(0, 4, (96,))
    views = torch.randn(96, 24) + labels[:, None].float()
    train(encoder, criterion, optimizer, views, labels)
