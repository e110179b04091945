"""DANN: a domain classifier trained through a gradient reversal layer, so that the features
become domain-invariant."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd import Function


class GradReverse(Function):
    def __init__(self, lambd):
        self.lambd = lambd

    def forward(self, x):
        return x.view_as(x)

    def backward(self, grad_output):
        return grad_output * -self.lambd


class DANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 32), nn.ReLU())
        self.label = nn.Linear(32, 4)
        self.domain = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x, lambd=0.1):
        h = self.features(x)
        return self.label(h), self.domain(GradReverse(lambd)(h))


def main():
    torch.manual_seed(0)
    source, source_y = torch.randn(256, 20), torch.randint(0, 4, (256,))
    target = torch.randn(256, 20) + 0.5
    model = DANN()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        for xs, ys, xt in zip(source.split(32), source_y.split(32), target.split(32)):
            logits, domain_s = model(xs)
            _, domain_t = model(xt)
            domains = torch.cat([domain_s, domain_t])
            is_target = torch.cat([torch.zeros(len(xs)), torch.ones(len(xt))]).long()
            loss = F.cross_entropy(logits, ys) + F.cross_entropy(domains, is_target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
