"""Credit-default scoring MLP on synthetic applicant records.

Experiment 14: the ReLUs of the residual MLP are swapped for PReLU (one learnable slope per
layer) to keep the negative side of standardized features alive.
"""
import torch
from torch import nn, optim

torch.manual_seed(2024)

N_TRAIN, N_TEST, N_FEATURES = 2048, 512, 12
HIDDEN = 48
EPOCHS = 6
BATCH_SIZE = 128


def make_applicants(n, generator):
    x = torch.randn(n, N_FEATURES, generator=generator)
    income, debt, age, history = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    risk = 1.2 * debt - 0.9 * income - 0.4 * torch.tanh(age) - 0.7 * history.clamp(max=0) + 0.3 * debt * income
    default = (risk + 0.4 * torch.randn(n, generator=generator) > 0.6).float()
    return x, default


class ResidualBlock(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.ff = nn.Sequential(
            nn.Linear(width, width),
            nn.LayerNorm(width),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(width, width),
        )
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x + self.ff(x))


class ScoringNet(nn.Module):
    def __init__(self, n_features, width, n_blocks=2, dropout=0.1):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(n_blocks)])
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        return self.out(self.blocks(self.stem(x))).squeeze(-1)


def use_prelu(net, init=0.25):
    for name, mod in net.named_modules():
        if isinstance(mod, nn.ReLU):
            mod = nn.PReLU(num_parameters=1, init=init)
    return net


def auc(scores, labels):
    pos, neg = scores[labels == 1], scores[labels == 0]
    return (pos[:, None] > neg[None, :]).float().mean().item()


gen = torch.Generator().manual_seed(0)
x_train, y_train = make_applicants(N_TRAIN, gen)
x_test, y_test = make_applicants(N_TEST, gen)
mean, std = x_train.mean(0), x_train.std(0)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

net = use_prelu(ScoringNet(N_FEATURES, HIDDEN))
pos_weight = (1 - y_train.mean()) / y_train.mean()
criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
optimizer = optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)

for epoch in range(EPOCHS):
    net.train()
    order = torch.randperm(N_TRAIN, generator=gen)
    total = 0.0
    for start in range(0, N_TRAIN, BATCH_SIZE):
        idx = order[start:start + BATCH_SIZE]
        loss = criterion(net(x_train[idx]), y_train[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
    scheduler.step()
    net.eval()
    with torch.no_grad():
        test_auc = auc(net(x_test), y_test)
    print(f"epoch {epoch}: train loss {total / N_TRAIN:.4f}  test AUC {test_auc:.3f}")
