import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

NUM_IDS, IMGS_PER_ID = 16, 8


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x):
        return self.layers(x).flatten(1)


class ReIDNet(nn.Module):
    def __init__(self, num_classes, num_features=64):
        super().__init__()
        self.base = Backbone()
        self.feat = nn.Linear(32, num_features)
        self.feat_bn = nn.BatchNorm1d(num_features)
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x):
        f = self.feat_bn(self.feat(self.base(x)))
        return f, self.classifier(F.relu(f))


def triplet_loss(emb, labels, margin=0.3):
    dist = torch.cdist(emb, emb)
    same = labels[:, None] == labels[None, :]
    hardest_pos = (dist * same).max(1).values
    hardest_neg = (dist + 1e5 * same).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean()


# synthetic "pedestrian crops": each identity has its own colour/texture template
templates = torch.randn(NUM_IDS, 3, 16, 8)
labels_all = torch.arange(NUM_IDS).repeat_interleave(IMGS_PER_ID)
images_all = templates[labels_all] + 0.7 * torch.randn(len(labels_all), 3, 16, 8)

model = ReIDNet(NUM_IDS).to(device)

# smaller learning rate for the pretrained part, full lr for the new layers
base_param_ids = set(map(id, model.base.parameters()))
new_params = [p for p in model.parameters() if id(p) not in base_param_ids]
param_groups = [
    {"params": model.base.parameters(), "lr_mult": 0.1},
    {"params": new_params, "lr_mult": 1.0},
]
base_lr = 0.05
optimizer = torch.optim.SGD(param_groups, lr=base_lr, momentum=0.9, weight_decay=5e-4, nesterov=True)


def adjust_lr(epoch):
    lr = base_lr * (0.1 ** (epoch // 8))
    for g in optimizer.param_groups:
        g["lr"] = lr * g.get("lr_mult", 1)


for epoch in range(10):
    adjust_lr(epoch)
    model.train()
    # P x K sampling: 4 identities x 8 images per batch
    id_order = torch.randperm(NUM_IDS)
    for i in range(0, NUM_IDS, 4):
        ids = id_order[i:i + 4]
        mask = (labels_all[:, None] == ids[None, :]).any(1)
        x, y = images_all[mask].to(device), labels_all[mask].to(device)
        emb, logits = model(x)
        loss = F.cross_entropy(logits, y) + triplet_loss(F.normalize(emb), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        _, logits = model(images_all.to(device))
        acc = (logits.argmax(1).cpu() == labels_all).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.3f} train-acc {acc:.3f}")
