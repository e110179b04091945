"""Partial fine-tuning with loops whose targets are named oddly but used the way the pairs come."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(10, 32), nn.LayerNorm(32), nn.ReLU(),
    nn.Linear(32, 32), nn.LayerNorm(32), nn.ReLU(),
    nn.Linear(32, 3),
)

# the name first, whatever the loop calls it
for param_name, p in model.named_parameters():
    if param_name.startswith("0."):
        p.requires_grad = False
model[0].load_state_dict(nn.Linear(10, 32).state_dict())  # the frozen input layer comes pretrained

# a list of parameters zipped with their names: (tensor, name) is the order zip was given
params = [p for p in model.parameters() if p.requires_grad]
names = [n for n, p in model.named_parameters() if p.requires_grad]
decay = [p for p, n in zip(params, names) if p.dim() > 1 and "norm" not in n]
no_decay = [p for p, n in zip(params, names) if not (p.dim() > 1 and "norm" not in n)]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3)

label_of = {"cat": 0, "dog": 1, "bird": 2}
name_of = {v: k for k, v in label_of.items()}

x = torch.randn(40, 10)
y = torch.randint(0, 3, (40,))
for epoch in range(5):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(epoch, loss.item(), name_of[int(model(x[:1]).argmax())])
