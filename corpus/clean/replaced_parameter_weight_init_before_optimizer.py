# Weight surgery before training: the embedding gets pretrained vectors as a new nn.Parameter
# and the output layer a scaled copy, both before the optimizer is built, which takes them.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

model = nn.Sequential(nn.Embedding(40, 12), nn.Flatten(), nn.Linear(12 * 5, 3))
model[0].weight = nn.Parameter(torch.randn(40, 12) * 0.1)
setattr(model[2], "weight", nn.Parameter(model[2].weight.detach() * 0.5))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

tokens = torch.randint(0, 40, (64, 5))
labels = torch.randint(0, 3, (64,))
for step in range(20):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    optimizer.step()
print(loss.item())
