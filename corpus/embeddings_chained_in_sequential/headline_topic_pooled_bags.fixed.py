# Topic classifier for short news headlines: each headline is a fixed-length row of token ids
# (padded with id 0), pooled by two embedding bags over the same vocabulary, one averaging the
# token vectors and one taking their element-wise maximum; the two pooled vectors are joined and
# a small MLP predicts one of four topics.
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, LENGTH, TOPICS = 500, 32, 12, 4


class PooledBagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.pooling = nn.ModuleList([
            nn.EmbeddingBag(VOCAB, DIM, mode="mean", padding_idx=0),
            nn.EmbeddingBag(VOCAB, DIM, mode="max", padding_idx=0),
        ])
        self.classifier = nn.Sequential(nn.Linear(2 * DIM, 64), nn.ReLU(), nn.Linear(64, TOPICS))

    def forward(self, tokens):
        pooled = torch.cat([table(tokens) for table in self.pooling], dim=-1)
        return self.classifier(pooled)


def synthetic_headlines(n, generator):
    topics = torch.randint(0, TOPICS, (n,), generator=generator)
    tokens = torch.randint(1, VOCAB, (n, LENGTH), generator=generator)
    # Each topic has its own band of 40 keyword ids; put two to four of them in each headline.
    keywords = 1 + topics[:, None] * 40 + torch.randint(0, 40, (n, 4), generator=generator)
    tokens[:, :4] = torch.where(torch.rand(n, 4, generator=generator) < 0.7, keywords, tokens[:, :4])
    lengths = torch.randint(6, LENGTH + 1, (n,), generator=generator)
    tokens[torch.arange(LENGTH)[None, :] >= lengths[:, None]] = 0
    return tokens, topics


def train_step(model, optimizer, tokens, topics):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), topics)
    loss.backward()
    optimizer.step()
    return loss.item()


torch.manual_seed(0)
generator = torch.Generator().manual_seed(3)
tokens, topics = synthetic_headlines(1600, generator)
model = PooledBagClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(4):
    losses = [train_step(model, optimizer, tokens[i:i + 100], topics[i:i + 100]) for i in range(0, 1600, 100)]
    with torch.no_grad():
        accuracy = (model(tokens).argmax(1) == topics).float().mean().item()
    print(f"epoch {epoch}: loss {sum(losses) / len(losses):.4f} accuracy {accuracy:.3f}")
