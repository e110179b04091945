# A contrastive pre-training step whose InfoNCE logits hold only the positive pair: the negatives
# were never concatenated. With the positive as the only "class", cross-entropy is 0 for every
# sample and the encoder never changes. The fix is to add the negatives, which gradfix cannot
# write for the author: it explains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
optimizer = torch.optim.SGD(encoder.parameters(), lr=0.05)
temperature = 0.2


def augment(x):
    return x + 0.1 * torch.randn_like(x)


data = torch.randn(512, 32)
for epoch in range(3):
    for i in range(0, 512, 64):
        batch = data[i:i + 64]
        q = F.normalize(encoder(augment(batch)), dim=1)
        k = F.normalize(encoder(augment(batch)), dim=1)
        l_pos = (q * k).sum(dim=1, keepdim=True)
        logits = l_pos / temperature
        labels = torch.zeros(len(batch), dtype=torch.long)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
