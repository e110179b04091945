# Listwise learning to rank (ListNet-style): each query's candidate documents are scored and the
# loss is a log_softmax over that query's list. Some queries have a single candidate, whose
# log_softmax is 0 and teaches nothing; the scorer learns from the longer lists.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

scorer = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(scorer.parameters(), lr=2e-3)

queries = []
for q in range(60):
    n_docs = 1 if q % 4 == 0 else 2 + q % 5
    docs = torch.randn(n_docs, 12)
    relevance = (docs[:, 0] + 0.5 * docs[:, 1]).softmax(dim=0)
    queries.append((docs, relevance))

for epoch in range(3):
    for start in range(0, len(queries), 6):
        loss = 0.0
        for docs, relevance in queries[start:start + 6]:
            scores = scorer(docs).squeeze(-1)
            loss = loss - (relevance * F.log_softmax(scores, dim=0)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
