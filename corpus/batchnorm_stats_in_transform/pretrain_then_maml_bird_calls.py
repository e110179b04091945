# Few-shot bird-call classification in two stages, as in Meta-Baseline (Chen et al., 2021):
# (1) ordinary supervised pre-training of the whole network on the 30 base species, with a
# 30-way head; (2) MAML meta-training from the pre-trained body on 5-way episodes, written with
# torch.func (functional_call + grad in the inner loop). Calls are synthetic spectrogram patches.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

BASE_SPECIES, NOVEL_SPECIES = 30, 10
WAYS, SHOTS, QUERIES = 5, 1, 5
INNER_LR, INNER_STEPS = 0.05, 2

torch.manual_seed(23)
# each species: a chirp start frequency, slope and repetition rate
species = torch.stack([torch.rand(BASE_SPECIES + NOVEL_SPECIES) * 10 + 3,
                       torch.randn(BASE_SPECIES + NOVEL_SPECIES) * 0.4,
                       torch.rand(BASE_SPECIES + NOVEL_SPECIES) * 0.5 + 0.2], dim=1)


def calls(sp, n):
    start, slope, rate = species[sp]
    f = torch.arange(20.0).view(1, 20, 1)
    t = torch.arange(20.0).view(1, 1, 20)
    jitter = torch.randn(n, 1, 1) * 0.7
    track = start + slope * (t % (1 / rate * 4)) + jitter
    return (torch.exp(-0.5 * (f - track) ** 2) + 0.2 * torch.randn(n, 20, 20)).unsqueeze(1)


class CallNet(nn.Module):
    def __init__(self, n_out):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(16 * 25, n_out)

    def forward(self, x):
        return self.head(self.body(x))


def pretrain(model, epochs=2):
    x = torch.cat([calls(s, 20) for s in range(BASE_SPECIES)])
    y = torch.arange(BASE_SPECIES).repeat_interleave(20)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 50):
            idx = perm[i:i + 50]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"pre-training epoch {epoch}: loss {loss.item():.3f}")


def episode(pool):
    chosen = pool[torch.randperm(len(pool))[:WAYS]].tolist()
    xs = torch.cat([calls(s, SHOTS) for s in chosen])
    xq = torch.cat([calls(s, QUERIES) for s in chosen])
    return xs, torch.arange(WAYS).repeat_interleave(SHOTS), xq, torch.arange(WAYS).repeat_interleave(QUERIES)


def meta_train(learner, iterations=20, tasks=2):
    opt = torch.optim.Adam(learner.parameters(), lr=1e-3)

    def support_loss(params, x, y):
        return F.cross_entropy(functional_call(learner, params, (x,)), y)

    for it in range(1, iterations + 1):
        params = dict(learner.named_parameters())
        total, acc = 0.0, 0.0
        for _ in range(tasks):
            xs, ys, xq, yq = episode(torch.arange(BASE_SPECIES))
            fast = params
            for _ in range(INNER_STEPS):
                g = grad(support_loss)(fast, xs, ys)
                fast = {k: w - INNER_LR * g[k] for k, w in fast.items()}
            logits = functional_call(learner, fast, (xq,))
            total = total + F.cross_entropy(logits, yq) / tasks
            acc += (logits.argmax(1) == yq).float().mean().item() / tasks
        opt.zero_grad()
        total.backward()
        opt.step()
        if it % 5 == 0:
            print(f"meta-iteration {it}: query loss {total.item():.3f}, accuracy {acc:.2f}")


backbone = CallNet(BASE_SPECIES)
backbone.train()
pretrain(backbone)

learner = CallNet(WAYS)
learner.body.load_state_dict(backbone.body.state_dict())
learner.train()
meta_train(learner)
