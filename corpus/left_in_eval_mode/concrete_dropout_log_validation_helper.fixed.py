"""A regressor with concrete dropout: each layer's dropout rate is learned through a relaxed
Bernoulli mask, sampled only in training mode (its entropy term is set by the same forward). Each
epoch starts by logging the validation loss through a helper that switches the model to
evaluation mode; the epoch's training then runs in evaluation mode too."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConcreteDropout(nn.Module):
    def __init__(self, init_rate=0.2, temperature=0.1):
        super().__init__()
        self.rate_logit = nn.Parameter(torch.logit(torch.tensor(init_rate)))
        self.temperature = temperature
        self.penalty = torch.zeros(())

    def forward(self, x):
        if not self.training:
            return x
        rate = torch.sigmoid(self.rate_logit)
        self.penalty = rate * torch.log(rate) + (1 - rate) * torch.log1p(-rate)
        u = torch.rand_like(x).clamp(1e-6, 1 - 1e-6)
        drop = torch.sigmoid((torch.logit(rate) + torch.log(u) - torch.log1p(-u)) / self.temperature)
        return x * (1 - drop) / (1 - rate)


def log_validation(model, epoch, x_val, y_val):
    model.eval()
    with torch.no_grad():
        val_loss = F.mse_loss(model(x_val), y_val).item()
    rates = [round(torch.sigmoid(m.rate_logit).item(), 3) for m in model.modules() if isinstance(m, ConcreteDropout)]
    print(f"epoch {epoch} val {val_loss:.4f} dropout rates {rates}")
    model.train()


model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), ConcreteDropout(), nn.Linear(64, 64), nn.ReLU(), ConcreteDropout(), nn.Linear(64, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

true_w = torch.randn(8, 1)
x_train = torch.randn(512, 8)
y_train = torch.sin(x_train @ true_w) + 0.1 * torch.randn(512, 1)
x_val = torch.randn(128, 8)
y_val = torch.sin(x_val @ true_w)

for epoch in range(10):
    log_validation(model, epoch, x_val, y_val)
    for i in range(0, 512, 64):
        xb, yb = x_train[i:i + 64], y_train[i:i + 64]
        pred = model(xb)
        penalty = sum(m.penalty for m in model.modules() if isinstance(m, ConcreteDropout))
        loss = F.mse_loss(pred, yb) + 1e-3 * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
