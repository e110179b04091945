# A contrastive term computed after backward() and step(), from features of the batch: it is
# only logged, and the projector that only it reaches never trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
classifier = nn.Linear(32, 3)
projector = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 8))
params = [*encoder.parameters(), *classifier.parameters(), *projector.parameters()]
optimizer = torch.optim.Adam(params, lr=1e-3)


def info_nce(a, b, temperature=0.1):
    a, b = F.normalize(a, dim=-1), F.normalize(b, dim=-1)
    return F.cross_entropy(a @ b.t() / temperature, torch.arange(a.shape[0]))


history = []
for step in range(15):
    x = torch.randn(24, 12)
    y = torch.randint(0, 3, (24,))
    h1, h2 = encoder(x + 0.1 * torch.randn_like(x)), encoder(x + 0.1 * torch.randn_like(x))
    loss = F.cross_entropy(classifier(h1), y)
    optimizer.zero_grad()
    contrastive_loss = info_nce(projector(h1), projector(h2))
    loss = loss + contrastive_loss
    loss.backward()
    optimizer.step()
    history.append((loss.item(), contrastive_loss.item()))
