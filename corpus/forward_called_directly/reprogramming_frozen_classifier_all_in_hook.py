"""Model reprogramming: a frozen digit-style classifier is repurposed for a new 3-class task by
learning only an additive input "program" (a forward pre-hook) and a fixed label mapping.

Stage 1 trains the source classifier on source patterns; stage 2 freezes it entirely and learns
the program, which is the only trainable tensor in stage 2.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 4
SIDE = 12


def source_data(n, gen):
    protos = torch.randn(10, SIDE * SIDE, generator=torch.Generator().manual_seed(123))
    y = torch.randint(0, 10, (n,), generator=gen)
    return protos[y] + 0.8 * torch.randn(n, SIDE * SIDE, generator=gen), y


def target_data(n, gen):
    # three classes of small blobs placed in the centre; the border is where the program lives
    y = torch.randint(0, 3, (n,), generator=gen)
    x = torch.zeros(n, SIDE, SIDE)
    for i in range(n):
        c = 4 + int(y[i]) * 1
        x[i, c:c + 3, 4:7] = 1.0
    x = x + 0.3 * torch.randn(n, SIDE, SIDE, generator=gen)
    return x.flatten(1), y


classifier = nn.Sequential(nn.Linear(SIDE * SIDE, 128), nn.ReLU(), nn.Linear(128, 10))


class InputProgram(nn.Module):
    def __init__(self, side):
        super().__init__()
        self.program = nn.Parameter(torch.zeros(side * side))
        mask = torch.ones(side, side)
        mask[3:9, 3:9] = 0.0
        self.register_buffer("mask", mask.flatten())

    def __call__(self, module, args):
        (x,) = args
        return x + torch.tanh(self.program) * self.mask


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)

    xs, ys = source_data(2000, gen)
    opt = torch.optim.SGD(classifier.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        for i in range(0, len(xs), 100):
            loss = F.cross_entropy(classifier(xs[i:i + 100]), ys[i:i + 100])
            opt.zero_grad()
            loss.backward()
            opt.step()
    print(f"source classifier trained, loss {loss.item():.3f}")

    classifier.requires_grad_(False)
    reprogram = InputProgram(SIDE)
    classifier.register_forward_pre_hook(reprogram)
    label_map = torch.tensor([0, 1, 2])  # target class k -> source logit k

    xt, yt = target_data(600, gen)
    opt = torch.optim.Adam(reprogram.parameters(), lr=0.05)
    for epoch in range(5):
        for i in range(0, len(xt), 50):
            logits = classifier.forward(xt[i:i + 50])[:, label_map]
            loss = F.cross_entropy(logits, yt[i:i + 50])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"reprogramming epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
