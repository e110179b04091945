"""Two task heads on a shared encoder, an optimizer each: both backward() calls run before
either step(), so every saved weight is still as the forward saw it."""
import torch
from torch import nn

torch.manual_seed(4)
encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
regress, classify = nn.Linear(32, 1), nn.Linear(32, 4)
opt_main = torch.optim.SGD(list(encoder.parameters()) + list(regress.parameters()), lr=0.05, momentum=0.9)
opt_aux = torch.optim.SGD(classify.parameters(), lr=0.05, momentum=0.9)

for step in range(80):
    x = torch.randn(64, 10)
    target, label = x.sum(1, keepdim=True), (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    h = encoder(x)
    main_loss = nn.functional.mse_loss(regress(h), target)
    aux_loss = nn.functional.cross_entropy(classify(h), label)
    opt_main.zero_grad()
    opt_aux.zero_grad()
    main_loss.backward(retain_graph=True)
    aux_loss.backward()
    opt_main.step()
    opt_aux.step()
