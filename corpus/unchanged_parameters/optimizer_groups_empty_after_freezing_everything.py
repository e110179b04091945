# Adapter fine-tuning: small adapters are added to a pretrained encoder, then a "prepare for
# low-memory training" helper freezes every parameter (meant for the base weights, adapters
# included) and keeps the input differentiable with a forward hook, so backward() still runs.
# The optimizer's two groups are built from what requires grad: both are empty, every step is a no-op.
import torch
import torch.nn as nn


class Adapter(nn.Module):
    def __init__(self, dim, r=4):
        super().__init__()
        self.down = nn.Linear(dim, r)
        self.up = nn.Linear(r, dim)

    def forward(self, x):
        return x + self.up(torch.relu(self.down(x)))


def prepare_for_low_memory_training(model):
    for param in model.parameters():
        param.requires_grad = False
    model[0].register_forward_hook(lambda module, inputs, output: output.requires_grad_(True))
    return model


torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32))
model = nn.Sequential(encoder, Adapter(32), nn.Linear(32, 4))
model = prepare_for_low_memory_training(model)
decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)
x, y = torch.randn(128, 16), torch.randint(0, 4, (128,))
for epoch in range(3):
    for i in range(0, 128, 32):
        loss = nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
