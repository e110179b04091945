"""PGD adversarial training (Madry et al.) of a small CNN on synthetic 2-class images,
with a clean-accuracy evaluation after every epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

EPS, ALPHA, PGD_STEPS = 8 / 255, 2 / 255, 3
EPOCHS, BATCH = 3, 32


def make_data(n):
    y = torch.randint(0, 2, (n,))
    x = torch.rand(n, 1, 16, 16) * 0.3
    x[y == 1, :, 4:12, 4:12] += 0.5
    return TensorDataset(x.clamp(0, 1), y)


train_loader = DataLoader(make_data(192), batch_size=BATCH, shuffle=True)
test_loader = DataLoader(make_data(96), batch_size=BATCH)

model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 2),
)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def pgd(model, X, y, epsilon=EPS, alpha=ALPHA, num_iter=PGD_STEPS):
    delta = torch.zeros_like(X).uniform_(-epsilon, epsilon)
    delta.requires_grad_(True)
    for _ in range(num_iter):
        loss = F.cross_entropy(model((X + delta).clamp(0, 1)), y)
        loss.backward()
        delta.data = (delta + alpha * delta.grad.detach().sign()).clamp(-epsilon, epsilon)
        delta.grad.zero_()
    return (X + delta.detach()).clamp(0, 1)


def train_epoch(loader, model, opt):
    total_loss, total_err, n = 0.0, 0.0, 0
    for X, y in loader:
        model.eval()
        X_adv = pgd(model, X, y)
        model.train()
        yp = model(X_adv)
        loss = F.cross_entropy(yp, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total_err += (yp.max(dim=1)[1] != y).sum().item()
        total_loss += loss.item() * X.shape[0]
        n += X.shape[0]
    return total_err / n, total_loss / n


@torch.no_grad()
def evaluate(loader, model):
    model.eval()
    err, n = 0, 0
    for X, y in loader:
        err += (model(X).argmax(1) != y).sum().item()
        n += X.shape[0]
    return err / n


for epoch in range(EPOCHS):
    train_err, train_loss = train_epoch(train_loader, model, opt)
    test_err = evaluate(test_loader, model)
    print(f"epoch {epoch}: adv train err {train_err:.3f} loss {train_loss:.4f} | clean test err {test_err:.3f}")
