"""Input-gradient regularisation ("double backpropagation", Drucker & LeCun 1992; Ross & Doshi-Velez
2018) for a smoother arrhythmia-risk score on tabular vitals: the loss adds the squared norm of
the loss gradient with respect to the inputs, computed with torch.func.grad and back-propagated
through in the same step.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

FEATURES = ["heart_rate", "qt_interval", "potassium", "magnesium", "age", "ejection_fraction", "bmi", "sbp"]
LAMBDA = 0.1
EPOCHS, BATCH, LR = 4, 64, 0.1


def vitals(n, gen):
    x = torch.randn(n, len(FEATURES), generator=gen)
    risk = 1.3 * x[:, 1] - 0.9 * x[:, 2] - 0.6 * x[:, 3] + 0.5 * x[:, 4] - 0.8 * x[:, 5] + 0.4 * x[:, 0] * x[:, 1]
    y = torch.bernoulli(torch.sigmoid(risk - 0.5), generator=gen)
    return x, y


class RiskNet(nn.Module):
    def __init__(self, d_in, hidden=32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.layers(x).squeeze(-1)


def data_loss(model, params, x, y):
    return F.binary_cross_entropy_with_logits(functional_call(model, params, (x,)), y)


def main():
    torch.manual_seed(6)
    gen = torch.Generator().manual_seed(6)
    x, y = vitals(2000, gen)
    x_tr, y_tr, x_te, y_te = x[:1600], y[:1600], x[1600:], y[1600:]
    model = RiskNet(len(FEATURES))
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    input_grad = grad(lambda inputs, params, targets: data_loss(model, params, inputs, targets))
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(x_tr))
        for i in range(0, len(perm), BATCH):
            idx = perm[i:i + BATCH]
            params = dict(model.named_parameters())
            fit = data_loss(model, params, x_tr[idx], y_tr[idx])
            gx = input_grad(x_tr[idx], params, y_tr[idx])
            loss = fit + LAMBDA * gx.pow(2).sum(1).mean() * len(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = ((model(x_te) > 0).float() == y_te).float().mean().item()
        print(f"epoch {epoch}: loss {loss.item():.3f}  test accuracy {acc:.3f}")


main()
