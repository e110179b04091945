# Topic classifier over pretrained word vectors: the embedder looks the vectors up and projects
# them with a fresh layer. --freeze-vectors is meant to keep the vectors as they are.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class Embedder(nn.Module):
    def __init__(self, vectors, out_dim):
        super().__init__()
        self.table = nn.Embedding.from_pretrained(vectors, freeze=False)
        self.proj = nn.Linear(vectors.shape[1], out_dim)

    def forward(self, tokens):
        return F.relu(self.proj(self.table(tokens)))


class TopicModel(nn.Module):
    def __init__(self, embedder, topics=5):
        super().__init__()
        self.embedder = embedder
        self.out = nn.Linear(embedder.proj.out_features, topics)

    def forward(self, tokens):
        return self.out(self.embedder(tokens).mean(1))


parser = argparse.ArgumentParser()
parser.add_argument("--freeze-vectors", action="store_true", default=True)
args = parser.parse_args()

torch.manual_seed(0)
vectors = torch.randn(120, 16)  # GloVe rows for the vocabulary, read from disk in the real script
embedder = Embedder(vectors, 32)
if args.freeze_vectors:
    embedder.table.weight.requires_grad = False
model = TopicModel(embedder)
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=3e-3)

for step in range(30):
    tokens = torch.randint(0, 120, (32, 15))
    topics = tokens[:, :3].sum(1) % 5
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), topics)
    loss.backward()
    optimizer.step()
print(loss.item())
