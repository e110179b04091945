# Few-shot classification with a prototype head (ProtoNet style) inside a small Trainer: the
# class prototypes come from the labelled support set, the queries are classified by distance.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProtoTrainer:
    def __init__(self, encoder, n_way=5, k_shot=4):
        self.encoder = encoder
        self.n_way, self.k_shot = n_way, k_shot
        self.opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)

    def fit(self, support, queries, query_labels, steps=10):
        for step in range(steps):
            idx = torch.randint(0, queries.shape[0], (20,))
            emb = self.encoder(queries[idx])
            prototypes = self.encoder(support).view(self.n_way, self.k_shot, -1).mean(dim=1)
            logits = -torch.cdist(emb, prototypes)
            loss = F.cross_entropy(logits, query_labels[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            print(f"step {step}: {loss.item():.3f}")


torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
support = torch.randn(5 * 4, 32)
queries = torch.randn(100, 32)
query_labels = torch.randint(0, 5, (100,))
ProtoTrainer(encoder).fit(support, queries, query_labels)
