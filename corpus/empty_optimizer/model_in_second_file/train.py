import torch as T
import torch.nn.functional as F

from model import MLPClassifier

T.manual_seed(0)

N_CLASSES = 4
x = T.randn(200, 20)
y = T.randint(0, N_CLASSES, (200,))

model = MLPClassifier(in_dim=20, hidden=64, n_classes=N_CLASSES)
optimizer = T.optim.AdamW(list(), lr=3e-3, weight_decay=0.01)

for it in range(15):
    idx = T.randint(0, 200, (32,))
    optimizer.zero_grad()
    out = model(x[idx])
    loss = F.cross_entropy(out, y[idx])
    loss.backward()
    optimizer.step()
    print(f"iter {it:2d}  loss {loss.item():.4f}")
