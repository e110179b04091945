"""A classifier on imbalanced synthetic tabular data. The loss's class weights come from a
histogram of the training labels, and a table of feature bucket against class is logged; both are
counted with a scatter that adds, on tensors that need no gradient. The model trains normally."""
import torch
from torch import nn

torch.manual_seed(0)

num_classes, dim = 4, 12
class_share = torch.tensor([0.6, 0.25, 0.1, 0.05])
labels = torch.multinomial(class_share, 2048, replacement=True)
centres = torch.randn(num_classes, dim) * 2
features = centres[labels] + torch.randn(2048, dim)

counts = torch.zeros(num_classes).scatter(0, labels, torch.ones(len(labels)), reduce="add")
class_weights = counts.sum() / (num_classes * counts.clamp(min=1))

with torch.no_grad():
    bucket = (features[:, 0] > 0).long() * 2 + (features[:, 1] > 0).long()
    table = torch.zeros(4, num_classes)
    one_hot = nn.functional.one_hot(labels, num_classes).float()
    table.scatter_(0, bucket[:, None].expand(-1, num_classes), one_hot, reduce="add")
print("bucket x class counts:", table.long().tolist())

model = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, num_classes))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

for epoch in range(10):
    permutation = torch.randperm(2048)
    for i in range(0, 2048, 128):
        batch = permutation[i:i + 128]
        loss = nn.functional.cross_entropy(model(features[batch]), labels[batch], weight=class_weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
