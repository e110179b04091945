# Prompt tuning on a frozen random-feature encoder: the optimizer is built from what requires
# grad; for the second task a new prompt is made and the group is rewritten as a list of all the
# model's parameters. The frozen encoder gets no gradient and Adam skips it: the freeze is meant.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class PromptNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(8, 16), nn.Tanh())
        self.encoder.requires_grad_(False)
        self.prompt = nn.Parameter(torch.zeros(1, 8))
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        return self.head(self.encoder(x + self.prompt))


model = PromptNet()
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
for task in range(2):
    if task == 1:
        model.prompt = nn.Parameter(torch.zeros(1, 8))
        optimizer.param_groups[0]["params"] = list(model.parameters())
    x = torch.randn(32, 8)
    y = torch.randint(0, 4, (32,))
    for i in range(0, 32, 8):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[i:i + 8]), y[i:i + 8])
        loss.backward()
        optimizer.step()
    print(task, loss.item())
