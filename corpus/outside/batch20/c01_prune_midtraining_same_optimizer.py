# Look-alike (correct). Reference: https://github.com/pytorch/tutorials/blob/main/intermediate_source/pruning_tutorial.py
# Gradual magnitude pruning of a small CNN with torch.nn.utils.prune. Pruning runs at the
# start of epochs 2 and 3, after the optimizer was built, and the optimizer is never
# rebuilt. This looks like the "layers replaced after the optimizer was built" bug, but
# prune.l1_unstructured re-registers the existing Parameter object as `weight_orig` and
# recomputes `weight = weight_orig * weight_mask` in a forward pre-hook. The optimizer
# therefore still holds and steps the same tensors (the masked entries just get zero
# gradient). A second round on an already-pruned weight stacks masks in a PruningContainer.
# After training, prune.remove() folds the mask in and keeps the same Parameter object.
# Evaluation runs under torch.no_grad(). Every layer trains.
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune
from torch.utils.data import DataLoader, TensorDataset

CFG = dict(epochs=4, batch_size=64, lr=1e-3, prune_at={1: 0.3, 2: 0.3}, seed=8)
torch.manual_seed(CFG["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


def make_textures(n, seed):
    """16x16 textures: 4 classes of oriented stripes with random phase and noise."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    y = torch.randint(0, 4, (n,), generator=g)
    angles = torch.tensor([0.0, 0.785, 1.571, 2.356])[y]
    phase = torch.rand(n, generator=g) * 6.28
    proj = xx[None] * torch.cos(angles)[:, None, None] + yy[None] * torch.sin(angles)[:, None, None]
    x = torch.sin(proj * 1.2 + phase[:, None, None]) + 0.4 * torch.randn(n, 16, 16, generator=g)
    return x[:, None], y


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 4 * 4, 4)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def sparsity(model):
    zeros = total = 0
    for m in (model.conv1, model.conv2, model.fc):
        zeros += (m.weight == 0).sum().item()
        total += m.weight.numel()
    return zeros / total


def evaluate(model, loader):
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
            n += len(y)
    model.train()
    return correct / n


xtr, ytr = make_textures(1024, 1)
xva, yva = make_textures(256, 2)
train_loader = DataLoader(TensorDataset(xtr, ytr), batch_size=CFG["batch_size"], shuffle=True)
val_loader = DataLoader(TensorDataset(xva, yva), batch_size=256)

model = SmallCNN().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
to_prune = [(model.conv1, "weight"), (model.conv2, "weight"), (model.fc, "weight")]

for epoch in range(CFG["epochs"]):
    if epoch in CFG["prune_at"]:
        for module, name in to_prune:
            prune.l1_unstructured(module, name=name, amount=CFG["prune_at"][epoch])
    total = 0.0
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
    print(f"epoch {epoch}: loss {total / len(xtr):.4f}  val acc {evaluate(model, val_loader):.3f}  "
          f"sparsity {sparsity(model):.2f}")

for module, name in to_prune:
    prune.remove(module, name)
print(f"final sparsity {sparsity(model):.2f}, params {sum(p.numel() for p in model.parameters())}")
