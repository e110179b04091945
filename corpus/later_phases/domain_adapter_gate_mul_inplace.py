# Train a sentiment model on reviews from one domain, then adapt it to a second domain with a small
# gated adapter (the base model is frozen in stage 2; only the adapter learns).
import torch
import torch.nn as nn
import torch.nn.functional as F


class SentimentNet(nn.Module):
    def __init__(self, vocab=500, dim=32):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.fc = nn.Linear(dim, 2)

    def features(self, tokens):
        return self.embed(tokens)

    def forward(self, tokens):
        return self.fc(self.features(tokens))


class GatedAdapter(nn.Module):
    def __init__(self, dim=32, keep=0.9):
        super().__init__()
        self.gate = nn.Linear(dim, dim)
        self.keep = keep

    def forward(self, h):
        g = torch.sigmoid(self.gate(h))
        if self.training:
            g.mul_((torch.rand_like(g) < self.keep).float())  # drop some gates while training
        return h * g


def reviews(n, vocab=500, shift=0):
    tokens = torch.randint(shift, vocab, (n, 20))
    return tokens, (tokens.float().mean(dim=1) > (vocab + shift) / 2).long()


torch.manual_seed(0)
model = SentimentNet()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
src_x, src_y = reviews(512)
for epoch in range(5):
    for xb, yb in zip(src_x.split(64), src_y.split(64)):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()

# Stage 2: new domain, frozen base, adapter between the features and the classifier.
for p in model.parameters():
    p.requires_grad_(False)
adapter = GatedAdapter()
adapt_opt = torch.optim.Adam(adapter.parameters(), lr=5e-3)
tgt_x, tgt_y = reviews(256, shift=100)
for epoch in range(5):
    for xb, yb in zip(tgt_x.split(64), tgt_y.split(64)):
        adapt_opt.zero_grad()
        logits = model.fc(adapter(model.features(xb)))
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        adapt_opt.step()
    print(f"adapt epoch {epoch}: loss {loss.item():.3f}")
