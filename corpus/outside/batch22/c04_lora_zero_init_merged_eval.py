# Look-alike (correct script). Pattern from microsoft/LoRA (loralib): the base weights are frozen,
# lora_B starts at zero, evaluation runs on weights merged in place under torch.no_grad() and unmerged
# afterwards, the frozen base model's logits are a detached distillation target, and gradients are
# accumulated over two micro-batches.
"""LoRA fine-tuning of a frozen MLP text classifier (bag of embeddings) with self-distillation."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
VOCAB, DIM, N_CLASSES, ACCUM = 200, 64, 4, 2


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r=4, alpha=8):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r
        self.merged = False

    @torch.no_grad()
    def merge(self):
        if not self.merged:
            self.base.weight += self.scaling * self.lora_B @ self.lora_A
            self.merged = True

    @torch.no_grad()
    def unmerge(self):
        if self.merged:
            self.base.weight -= self.scaling * self.lora_B @ self.lora_A
            self.merged = False

    def forward(self, x):
        out = self.base(x)
        if not self.merged:
            out = out + self.scaling * F.linear(F.linear(x, self.lora_A), self.lora_B)
        return out


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(VOCAB, DIM, mode="mean")
        self.fc1 = nn.Linear(DIM, 128)
        self.fc2 = nn.Linear(128, 128)
        self.classifier = nn.Linear(128, N_CLASSES)

    def forward(self, ids, offsets):
        h = self.embed(ids, offsets)
        h = F.gelu(self.fc1(h))
        h = F.gelu(self.fc2(h))
        return self.classifier(h)


class TopicDataset(Dataset):
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        topic_words = torch.randint(10, VOCAB, (N_CLASSES, 12), generator=torch.Generator().manual_seed(99))
        self.items = []
        for _ in range(n):
            y = int(torch.randint(0, N_CLASSES, (1,), generator=g))
            length = int(torch.randint(8, 20, (1,), generator=g))
            ids = torch.randint(10, VOCAB, (length,), generator=g)
            k = length // 3
            ids[:k] = topic_words[y][torch.randint(0, 12, (k,), generator=g)]
            self.items.append((ids, y))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    ids = torch.cat([b[0] for b in batch])
    offsets = torch.tensor([0] + [len(b[0]) for b in batch[:-1]]).cumsum(0)
    return ids, offsets, torch.tensor([b[1] for b in batch])


def lora_layers(model):
    return [m for m in model.modules() if isinstance(m, LoRALinear)]


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    for m in lora_layers(model):
        m.merge()
    correct = n = 0
    for ids, offsets, y in loader:
        correct += (model(ids.to(device), offsets.to(device)).argmax(1).cpu() == y).sum().item()
        n += len(y)
    for m in lora_layers(model):
        m.unmerge()
    model.train()
    return correct / n


model = BagClassifier().to(device)
reference = BagClassifier().to(device)
reference.load_state_dict(model.state_dict())
reference.requires_grad_(False)
for p in model.parameters():
    p.requires_grad_(False)
model.fc1 = LoRALinear(model.fc1)
model.fc2 = LoRALinear(model.fc2)
model.classifier = nn.Linear(128, N_CLASSES)  # new task head, trained in full
model.to(device)

trainable = [p for p in model.parameters() if p.requires_grad]
print("trainable:", [n for n, p in model.named_parameters() if p.requires_grad])
optimizer = torch.optim.AdamW(trainable, lr=3e-3, weight_decay=0.0)
train_loader = DataLoader(TopicDataset(640, 0), batch_size=32, shuffle=True, collate_fn=collate)
val_loader = DataLoader(TopicDataset(256, 1), batch_size=128, collate_fn=collate)

print(f"val acc before: {evaluate(model, val_loader):.3f}")
for epoch in range(4):
    optimizer.zero_grad()
    total = 0.0
    for i, (ids, offsets, y) in enumerate(train_loader):
        ids, offsets, y = ids.to(device), offsets.to(device), y.to(device)
        logits = model(ids, offsets)
        with torch.no_grad():
            ref_feat = F.gelu(reference.fc2(F.gelu(reference.fc1(reference.embed(ids, offsets)))))
        feat = F.gelu(model.fc2(F.gelu(model.fc1(model.embed(ids, offsets)))))
        loss = F.cross_entropy(logits, y) + 0.1 * F.mse_loss(feat, ref_feat.detach())
        (loss / ACCUM).backward()
        if (i + 1) % ACCUM == 0 or (i + 1) == len(train_loader):
            optimizer.step()
            optimizer.zero_grad()
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(train_loader):.4f}  val acc {evaluate(model, val_loader):.3f}")
