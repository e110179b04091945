"""Domain-adversarial training (DANN): a gradient reversal layer between the feature extractor
and the domain classifier."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import Function


class GradReverse(Function):
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        # the features are pushed to fool the domain classifier
        return grad_output.neg() * ctx.lambd


def grad_reverse(x, lambd=1.0):
    return GradReverse.apply(x, lambd)


class DANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.label_head = nn.Linear(16, 4)
        self.domain_head = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x, lambd):
        h = self.features(x)
        return self.label_head(h), self.domain_head(grad_reverse(h, lambd))


def main():
    torch.manual_seed(1)
    source_x, source_y = torch.randn(64, 20), torch.randint(0, 4, (64,))
    target_x = torch.randn(64, 20) + 0.5
    model = DANN()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    for step in range(30):
        lambd = 2.0 / (1.0 + torch.exp(torch.tensor(-10.0 * step / 30)).item()) - 1.0
        class_logits, source_domain = model(source_x, lambd)
        _, target_domain = model(target_x, lambd)
        domain_logits = torch.cat([source_domain, target_domain])
        domain_labels = torch.cat([torch.zeros(64), torch.ones(64)]).long()
        loss = F.cross_entropy(class_logits, source_y) + F.cross_entropy(domain_logits, domain_labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("final loss", loss.item())


if __name__ == "__main__":
    main()
