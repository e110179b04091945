# Correct: the auxiliary loss goes backward by its own backward() call before the main one, and is
# logged with .item(); a GAN's discriminator loss is logged in the generator's step. Every
# parameter is reached by some backward().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
backbone = nn.Linear(8, 16)
head = nn.Linear(16, 2)
aux_head = nn.Linear(16, 8)
optimizer = torch.optim.SGD([*backbone.parameters(), *head.parameters(), *aux_head.parameters()], lr=0.05)

for step in range(10):
    x, y = torch.randn(32, 8), torch.randint(0, 2, (32,))
    h = torch.relu(backbone(x))
    loss = F.cross_entropy(head(h), y)
    aux_loss = F.mse_loss(aux_head(h), x)
    optimizer.zero_grad()
    aux_loss.backward(retain_graph=True)
    loss.backward()
    optimizer.step()
    print(step, loss.item(), aux_loss.item())
