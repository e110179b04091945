# MAML for few-shot classification of tabular records (12 numeric features, 3 classes per task).
# An encoder feeds a classifier head; a decoder that reconstructs the features from the encoding
# adds an auxiliary term to the query loss. The inner loop adapts, on the support set, only the
# weights the support loss runs (encoder and classifier); the decoder is meta-trained as it is.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call


class TabularNet(nn.Module):
    def __init__(self, features=12, hidden=32, classes=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.classifier = nn.Linear(hidden, classes)
        self.decoder = nn.Linear(hidden, features)

    def forward(self, x):
        h = self.encoder(x)
        return self.classifier(h), self.decoder(h)


def make_task(shots=5, queries=10, classes=3, features=12):
    centers = 1.5 * torch.randn(classes, features)
    labels = torch.arange(classes).repeat(shots + queries)
    x = centers[labels] + torch.randn(len(labels), features)
    n = classes * shots
    return x[:n], labels[:n], x[n:], labels[n:]


def adapt(model, x, y, inner_lr=0.2, steps=3):
    params = dict(model.named_parameters())
    fast = {name: p for name, p in params.items() if not name.startswith("decoder.")}
    for _ in range(steps):
        logits, _ = functional_call(model, {**params, **fast}, (x,))
        loss = F.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        fast = {name: p - inner_lr * g for (name, p), g in zip(fast.items(), grads)}
    return {**params, **fast}


torch.manual_seed(0)
model = TabularNet()
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)

for iteration in range(60):
    meta_opt.zero_grad()
    for _ in range(4):
        xs, ys, xq, yq = make_task()
        logits, recon = functional_call(model, adapt(model, xs, ys), (xq,))
        loss = (F.cross_entropy(logits, yq) + 0.1 * F.mse_loss(recon, xq)) / 4
        loss.backward()
    meta_opt.step()
    if iteration % 20 == 0:
        print(f"iteration {iteration}: query loss {4 * loss.item():.3f}")
