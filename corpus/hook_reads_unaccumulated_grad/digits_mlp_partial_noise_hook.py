"""8x8 digit classification (synthetic: ten stroke templates with jitter, thickness and noise)
with per-layer Gaussian gradient noise, the noise scale bound into the hook with partial."""
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

HPARAMS = dict(hidden=64, lr=0.05, sigma=0.01, epochs=5, batch=64, seed=9)

SEGMENTS = {  # seven-segment style strokes on an 8x8 grid
    "top": [(0, c) for c in range(1, 7)], "mid": [(3, c) for c in range(1, 7)], "bot": [(7, c) for c in range(1, 7)],
    "tl": [(r, 1) for r in range(0, 4)], "tr": [(r, 6) for r in range(0, 4)],
    "bl": [(r, 1) for r in range(4, 8)], "br": [(r, 6) for r in range(4, 8)],
}
DIGITS = [
    ["top", "tl", "tr", "bl", "br", "bot"], ["tr", "br"], ["top", "tr", "mid", "bl", "bot"],
    ["top", "tr", "mid", "br", "bot"], ["tl", "tr", "mid", "br"], ["top", "tl", "mid", "br", "bot"],
    ["top", "tl", "mid", "bl", "br", "bot"], ["top", "tr", "br"], list(SEGMENTS), ["top", "tl", "tr", "mid", "br", "bot"],
]


def render(digit, gen):
    img = torch.zeros(8, 8)
    for seg in DIGITS[digit]:
        for r, c in SEGMENTS[seg]:
            img[r, c] = 1.0
    shift = torch.randint(-1, 2, (2,), generator=gen).tolist()
    img = torch.roll(img, shifts=shift, dims=(0, 1))
    return (img + 0.4 * torch.randn(8, 8, generator=gen)).flatten()


def dataset(n, gen):
    y = torch.randint(0, 10, (n,), generator=gen)
    return torch.stack([render(int(d), gen) for d in y]), y


def add_layer_noise(module, grad_input, grad_output, sigma):
    for w in module.parameters():
        w.grad += sigma * torch.randn_like(w.grad)


def build(hidden, sigma):
    net = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    for layer in net:
        if isinstance(layer, nn.Linear):
            layer.register_full_backward_hook(partial(add_layer_noise, sigma=sigma))
    return net


def main(hp=HPARAMS):
    torch.manual_seed(hp["seed"])
    gen = torch.Generator().manual_seed(hp["seed"])
    x, y = dataset(3000, gen)
    x_test, y_test = dataset(500, gen)
    net = build(hp["hidden"], hp["sigma"])
    opt = torch.optim.SGD(net.parameters(), lr=hp["lr"], momentum=0.9)
    for epoch in range(hp["epochs"]):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), hp["batch"]):
            idx = perm[i:i + hp["batch"]]
            opt.zero_grad()
            loss = F.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (net(x_test).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch}: loss {loss.item():.3f}, test accuracy {acc:.3f}")


if __name__ == "__main__":
    main()
