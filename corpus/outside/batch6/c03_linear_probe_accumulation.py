import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

ACCUM_STEPS, MICRO_BATCH = 4, 16


class Classifier(nn.Module):
    def __init__(self, n_cls=5):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
            nn.Flatten())
        self.head = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, n_cls))

    def forward(self, x):
        return self.head(self.backbone(x))

    def train(self, mode=True):
        super().train(mode)
        self.backbone.eval()            # frozen feature extractor keeps its BN statistics
        return self


def make_data(n):
    y = torch.randint(0, 5, (n,))
    x = 0.3 * torch.randn(n, 1, 12, 12)
    for i, c in enumerate(y.tolist()):
        x[i, 0, 2 * c:2 * c + 3, :] += 1.5     # class-dependent horizontal band
    return x, y


model = Classifier().to(device)
for p in model.backbone.parameters():       # linear probing: the backbone stays fixed
    p.requires_grad = False

optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=5e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.5)
x_train, y_train = make_data(1024)
x_val, y_val = make_data(256)

for epoch in range(3):
    model.train()
    losses = []
    optimizer.zero_grad()
    perm = torch.randperm(len(x_train))
    for i, start in enumerate(range(0, len(x_train), MICRO_BATCH)):
        idx = perm[start:start + MICRO_BATCH]
        loss = F.cross_entropy(model(x_train[idx].to(device)), y_train[idx].to(device)) / ACCUM_STEPS
        loss.backward()
        losses.append(loss.item() * ACCUM_STEPS)
        if (i + 1) % ACCUM_STEPS == 0:
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        acc = (model(x_val.to(device)).argmax(1).cpu() == y_val).float().mean().item()
    print(f"epoch {epoch} loss {torch.tensor(losses).mean():.3f} val acc {acc:.3f} "
          f"lr {scheduler.get_last_lr()[0]:.5f}")
