# Sentiment classifier over bag-of-embeddings; the learning rate warms up per iteration through a
# function handed to LambdaLR.
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import LambdaLR

WARMUP_ITERS = 100
torch.manual_seed(0)


def lr_lambda(iteration):
    # linear warm-up to the base learning rate, then constant
    return min(1.0, (iteration + 1) / WARMUP_ITERS)


class BagClassifier(nn.Module):
    def __init__(self, vocab=300, dim=32):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, 2))

    def forward(self, tokens):
        return self.head(self.bag(tokens))


net = BagClassifier()
opt = optim.RMSprop(net.parameters(), lr=1e-3)
sched = LambdaLR(opt, lr_lambda)
reviews = torch.randint(0, 300, (200, 20))
labels = (reviews.float().mean(1) > 150).long()

for epoch in range(3):
    for start in range(0, 200, 25):
        out = net(reviews[start:start + 25])
        loss = nn.functional.cross_entropy(out, labels[start:start + 25])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    print(epoch, loss.item(), sched.get_last_lr())
