"""Few-shot adaptation of a classification head over a frozen pretrained encoder: the encoder is
pretrained as an autoencoder and frozen, then the head's initialisation is meta-learned with
first-order MAML on copies of the whole classifier."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
IN_DIM, CODE, WAYS = 20, 8, 3


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(IN_DIM, 32), nn.ReLU(), nn.Linear(32, CODE))
        self.head = nn.Linear(CODE, WAYS)

    def forward(self, x):
        return self.head(F.relu(self.encoder(x)))


model = Classifier()

# 1) pretrain the encoder as an autoencoder, then freeze it
decoder = nn.Linear(CODE, IN_DIM)
pretrain_opt = torch.optim.Adam(list(model.encoder.parameters()) + list(decoder.parameters()), lr=1e-2)
for _ in range(50):
    x = torch.randn(64, IN_DIM)
    pretrain_opt.zero_grad()
    F.mse_loss(decoder(model.encoder(x)), x).backward()
    pretrain_opt.step()
for p in model.encoder.parameters():
    p.requires_grad = False


# 2) meta-learn the head's initialisation
def episode(shots=5, queries=15):
    centres = torch.randn(WAYS, IN_DIM) * 2
    ys, yq = torch.arange(WAYS).repeat(shots), torch.arange(WAYS).repeat(queries)
    return (centres[ys] + torch.randn(len(ys), IN_DIM), ys), (centres[yq] + torch.randn(len(yq), IN_DIM), yq)


head_opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=5e-3)
for step in range(20):
    head_opt.zero_grad()
    (xs, ys), (xq, yq) = episode()
    learner = copy.deepcopy(model)
    inner = torch.optim.SGD([p for p in learner.parameters() if p.requires_grad], lr=0.1)
    for _ in range(4):
        inner.zero_grad()
        F.cross_entropy(learner(xs), ys).backward()
        inner.step()
    query_loss = F.cross_entropy(learner(xq), yq)
    query_loss.backward()
    head_opt.step()
    if step % 5 == 0:
        print(f"step {step}: query loss {query_loss.item():.3f}")
