"""5-way 1-shot classification of synthetic glyphs with a small conv net, first-order MAML style:
a helper clones the network for every episode, the clone takes a few SGD steps on the support
set, and the loss on the episode's query set should improve the shared network."""
from copy import deepcopy

import torch as th
import torch.nn as nn
import torch.nn.functional as F

N_WAY, K_SHOT, N_QUERY = 5, 1, 4


class GlyphNet(nn.Module):
    def __init__(self, n_way=N_WAY, channels=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(channels * 3 * 3, n_way)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def make_episode():
    prototypes = th.rand(N_WAY, 1, 12, 12)
    labels = th.arange(N_WAY)

    def draw(k):
        x = prototypes.repeat_interleave(k, 0) + 0.3 * th.randn(N_WAY * k, 1, 12, 12)
        return x, labels.repeat_interleave(k)

    return draw(K_SHOT), draw(N_QUERY)


def clone_module(module):
    """An independent copy to adapt, leaving the original untouched."""
    return deepcopy(module)


th.manual_seed(0)
learner_init = GlyphNet()
outer_optimizer = th.optim.Adam(learner_init.parameters(), lr=1e-3)

for episode_batch in range(15):
    outer_optimizer.zero_grad()
    accuracy = []
    for _ in range(2):
        (x_support, y_support), (x_query, y_query) = make_episode()
        adapted = clone_module(learner_init)
        inner = th.optim.SGD(adapted.parameters(), lr=0.1)
        for _ in range(5):
            inner.zero_grad()
            F.cross_entropy(adapted(x_support), y_support).backward()
            inner.step()
        logits = adapted(x_query)
        grads = th.autograd.grad(F.cross_entropy(logits, y_query), list(adapted.parameters()))
        for p, g in zip(learner_init.parameters(), grads):
            p.grad = g if p.grad is None else p.grad + g
        accuracy.append((logits.argmax(1) == y_query).float().mean().item())
    outer_optimizer.step()
    print(f"batch {episode_batch}: query accuracy {sum(accuracy) / len(accuracy):.2f}")
