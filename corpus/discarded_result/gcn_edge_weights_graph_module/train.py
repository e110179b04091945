# Semi-supervised node classification on a synthetic graph whose edges mostly join nodes of the
# same class: features show a node's class only weakly, its neighbours show it strongly. A graph
# convolution with one learned weight per edge (model.edge_logit, read through a sigmoid) is
# trained on a fifth of the labels and scored on the rest.
import torch
import torch.nn.functional as F

from graph import EdgeWeightedGCN as GCN, SparseAdj

torch.manual_seed(0)
NODES, FEATURES, CLASSES = 300, 16, 3

labels = torch.randint(0, CLASSES, (NODES,))
centres = torch.randn(CLASSES, FEATURES)
x = 0.4 * centres[labels] + torch.randn(NODES, FEATURES)

# mostly same-class edges, some noise edges, plus self-loops
src, dst = [], []
for node in range(NODES):
    same = torch.nonzero(labels == labels[node]).squeeze(1)
    picks = same[torch.randint(0, same.numel(), (4,))].tolist() + torch.randint(0, NODES, (2,)).tolist()
    for other in picks + [node]:
        src.append(node)
        dst.append(other)
row, col = torch.tensor(src), torch.tensor(dst)
adj = SparseAdj(row, col, torch.ones(row.numel()), NODES)

train_mask = torch.rand(NODES) < 0.2
model = GCN(adj, FEATURES, 32, CLASSES)
optimizer = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)

for epoch in range(60):
    model.train()
    logits = model(x)
    loss = F.cross_entropy(logits[train_mask], labels[train_mask])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

model.eval()
with torch.no_grad():
    pred = model(x).argmax(1)
accuracy = (pred[~train_mask] == labels[~train_mask]).float().mean().item()
print(f"loss {loss.item():.4f}  held-out accuracy {accuracy:.3f}")
