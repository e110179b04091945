# CBOW word vectors with sparse embedding gradients, the flag read from the run's config dict and
# passed to the model's constructor; plain SGD with L2 weight decay from the same config.
import torch
import torch.nn as nn

CONFIG = {"vocab": 500, "dim": 24, "window": 2, "lr": 0.2, "weight_decay": 1e-5, "sparse": False}


class CBOW(nn.Module):
    def __init__(self, vocab, dim, sparse):
        super().__init__()
        self.context = nn.Embedding(vocab, dim, sparse=sparse)
        self.out = nn.Linear(dim, vocab)

    def forward(self, ctx):
        return self.out(self.context(ctx).mean(1))


torch.manual_seed(0)
corpus = torch.randint(0, CONFIG["vocab"], (2000,))
w = CONFIG["window"]
centers = torch.arange(w, len(corpus) - w)
contexts = torch.stack([torch.cat([corpus[i - w:i], corpus[i + 1:i + w + 1]]) for i in centers.tolist()])
model = CBOW(CONFIG["vocab"], CONFIG["dim"], CONFIG["sparse"])
optimizer = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], weight_decay=CONFIG["weight_decay"])
for epoch in range(3):
    for i in range(0, 512, 64):
        loss = nn.functional.cross_entropy(model(contexts[i:i + 64]), corpus[centers[i:i + 64]])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
