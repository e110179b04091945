# A deep-sets classifier over variable-size sets packed into one batch: each element is encoded,
# the elements of a set are summed by the helper module's segment_sum, and the sums classified.
import torch
from torch import nn

from pooling import segment_sum

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16))
classifier = nn.Linear(16, 2)
optimizer = torch.optim.SGD([*encoder.parameters(), *classifier.parameters()], lr=0.05)
for step in range(30):
    elements = torch.randn(60, 4)
    set_of = torch.randint(0, 6, (60,))
    labels = torch.randint(0, 2, (6,))
    logits = classifier(segment_sum(encoder(elements), set_of, 6))
    loss = nn.functional.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(round(loss.item(), 4))
