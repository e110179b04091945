# Unsupervised domain adaptation for a sensor classifier: labelled source readings and unlabelled
# target readings from a drifted sensor share one feature extractor; a Gaussian-kernel MMD between
# the two batches' features (kernel matrices over each batch with itself, diagonals included,
# built on squared distances) is added to the source cross-entropy. bfloat16 autocast, GradScaler.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(12)
n, dim, classes = 600, 20, 4
prototypes = torch.randn(classes, dim) * 2
source_y = torch.randint(0, classes, (n,))
source_x = prototypes[source_y] + torch.randn(n, dim)
target_y = torch.randint(0, classes, (n,))
drift = torch.eye(dim) + 0.3 * torch.randn(dim, dim)
target_x = (prototypes[target_y] + torch.randn(n, dim)) @ drift + 0.5


def gaussian_kernel(a, b, bandwidths=(0.5, 1.0, 2.0, 4.0)):
    squared = (a.unsqueeze(1) - b.unsqueeze(0)).pow(2).sum(-1)
    return sum(torch.exp(-squared / (2 * h * h)) for h in bandwidths)


def mmd(fs, ft):
    return gaussian_kernel(fs, fs).mean() + gaussian_kernel(ft, ft).mean() - 2 * gaussian_kernel(fs, ft).mean()


extractor = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, 16))
classifier = nn.Linear(16, classes)
optimizer = torch.optim.SGD([*extractor.parameters(), *classifier.parameters()], lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(6):
    perm_s, perm_t = torch.randperm(n), torch.randperm(n)
    for i in range(0, n, 100):
        xs, ys, xt = source_x[perm_s[i:i + 100]], source_y[perm_s[i:i + 100]], target_x[perm_t[i:i + 100]]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fs, ft = extractor(xs).float(), extractor(xt).float()
            logits = classifier(fs).float()
        loss = F.cross_entropy(logits, ys) + 0.5 * mmd(fs, ft)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    with torch.no_grad():
        acc = (classifier(extractor(target_x)).argmax(1) == target_y).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} target accuracy {acc.item():.3f} scale {scaler.get_scale():.0f}")
