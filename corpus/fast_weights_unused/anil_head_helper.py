"""ANIL (almost no inner loop): only the classification head is adapted per task; the encoder is
meta-learned in the outer loop. The head weights go through a small loss helper."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_WAY, FEATURES = 4, 24


class FewShotNet(nn.Module):
    def __init__(self, n_way=N_WAY, features=FEATURES, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.head = nn.Linear(hidden, n_way)

    def forward(self, x, *, head_weights=None):
        z = self.encoder(x)
        if head_weights is None:
            head_weights = [self.head.weight, self.head.bias]
        return F.linear(z, head_weights[0], head_weights[1])


def task_loss(net, x, y, head_weights):
    logits = net(
        x.flatten(1),
    )
    return F.cross_entropy(logits, y)


def adapt_head(net, x, y, steps=4, lr=0.1):
    head_weights = [net.head.weight, net.head.bias]
    for _ in range(steps):
        loss = task_loss(net, x, y, head_weights)
        grads = torch.autograd.grad(loss, head_weights, create_graph=True)
        head_weights = [w - lr * g for w, g in zip(head_weights, grads)]
    return head_weights


def sample_task(shots=5, queries=10):
    centres = 2.0 * torch.randn(N_WAY, FEATURES)
    def draw(k):
        labels = torch.arange(N_WAY).repeat_interleave(k)
        return centres[labels] + torch.randn(len(labels), FEATURES), labels
    return (*draw(shots), *draw(queries))


def main():
    torch.manual_seed(3)
    net = FewShotNet()
    outer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for episode in range(25):
        outer.zero_grad()
        total = 0.0
        for _ in range(3):
            xs, ys, xq, yq = sample_task()
            fast_head = adapt_head(net, xs, ys)
            total = total + task_loss(net, xq, yq, fast_head)
        (total / 3).backward()
        outer.step()
        if episode % 5 == 0:
            print(f"episode {episode}: query loss {total.item() / 3:.3f}")


if __name__ == "__main__":
    main()
