# A set of the biases kept only for fast membership tests: both param groups are lists built in
# the model's order, so the optimizer gets ordered collections and everything trains.
import torch
import torch.nn as nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))
no_decay = {param for name, param in model.named_parameters() if name.endswith("bias")}
decay = [p for p in model.parameters() if p not in no_decay]
rest = [p for p in model.parameters() if p in no_decay]
optimizer = torch.optim.SGD(
    [{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0.0}], lr=0.05, momentum=0.9
)
x = torch.randn(64, 10)
y = torch.randint(0, 3, (64,))
for step in range(5):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
