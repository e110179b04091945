# A contrastive model's learnable temperature is reset to a chosen start after the optimizer was
# built, by binding a new nn.Parameter: the optimizer holds the old one, and the new one never
# moves from 0.07.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DualEncoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.image = nn.Linear(20, dim)
        self.text = nn.Linear(12, dim)
        self.log_temperature = nn.Parameter(torch.zeros(()))

    def forward(self, images, texts):
        a = F.normalize(self.image(images), dim=-1)
        b = F.normalize(self.text(texts), dim=-1)
        return a @ b.t() / self.log_temperature.exp()


model = DualEncoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
model.log_temperature.data.copy_(torch.tensor(math.log(0.07)))

images, texts = torch.randn(64, 20), torch.randn(64, 12)
for step in range(20):
    logits = model(images, texts)
    target = torch.arange(len(images))
    loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
