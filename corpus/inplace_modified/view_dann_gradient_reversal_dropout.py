"""Domain-adversarial training (DANN) on two synthetic domains: a gradient reversal layer between
the feature extractor and the domain classifier."""
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
        return grad_output.neg() * ctx.lambd, None


class DANN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 32))
        self.label_head = nn.Sequential(nn.ReLU(), nn.Linear(32, 4))
        self.domain_head = nn.Sequential(
            nn.Dropout(0.2, inplace=True),
            nn.Linear(32, 32),
            nn.ReLU(inplace=True),
            nn.Linear(32, 2),
        )

    def forward(self, x, lambd=1.0):
        feats = self.features(x)
        reversed_feats = GradReverse.apply(feats, lambd)
        return self.label_head(feats), self.domain_head(reversed_feats)


torch.manual_seed(5)
source_x, source_y = torch.randn(256, 10), torch.randint(0, 4, (256,))
target_x = torch.randn(256, 10) + 0.5
model = DANN()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
for epoch in range(3):
    for i in range(0, 256, 32):
        xs, ys, xt = source_x[i:i + 32], source_y[i:i + 32], target_x[i:i + 32]
        class_logits, domain_s = model(xs)
        _, domain_t = model(xt)
        domains = torch.cat([torch.zeros(32), torch.ones(32)]).long()
        loss = F.cross_entropy(class_logits, ys) + F.cross_entropy(torch.cat([domain_s, domain_t]), domains)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
