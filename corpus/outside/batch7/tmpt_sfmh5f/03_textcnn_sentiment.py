"""Kim-style CNN sentence classifier (several filter widths + max-over-time pooling)
trained on synthetic token sequences whose label depends on short n-gram patterns."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, EMB, SEQ, CLASSES = 300, 48, 24, 2
KERNEL_SIZES = (3, 4, 5)
NUM_FILTERS = 16


class TextCNN(nn.Module):
    def __init__(self, vocab, emb_dim, kernel_sizes, num_filters, num_classes, dropout=0.3):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=0)
        self.convs = nn.ModuleList([nn.Conv1d(emb_dim, num_filters, k) for k in kernel_sizes])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(num_filters * len(kernel_sizes), num_classes)

    def forward(self, tokens):
        x = self.embedding(tokens).transpose(1, 2)          # (B, E, T)
        pooled = [F.relu(conv(x)).max(dim=2).values for conv in self.convs]
        h = self.dropout(torch.cat(pooled, dim=1))
        return self.fc(h)


def make_dataset(n):
    tokens = torch.randint(1, VOCAB, (n, SEQ))
    labels = torch.randint(0, CLASSES, (n,))
    # positive sentences contain the trigram (7, 8, 9), negative ones (11, 12, 13)
    starts = torch.randint(0, SEQ - 3, (n,))
    for i in range(n):
        tri = torch.tensor([7, 8, 9]) if labels[i] == 1 else torch.tensor([11, 12, 13])
        tokens[i, starts[i]:starts[i] + 3] = tri
    lengths = torch.randint(12, SEQ + 1, (n,))
    pad = torch.arange(SEQ)[None] >= lengths[:, None]
    pad &= torch.arange(SEQ)[None] >= (starts[:, None] + 3)
    tokens[pad] = 0
    return tokens, labels


def batches(tokens, labels, bs):
    perm = torch.randperm(len(tokens))
    for i in range(0, len(tokens), bs):
        idx = perm[i:i + bs]
        yield tokens[idx].to(device), labels[idx].to(device)


train_x, train_y = make_dataset(512)
val_x, val_y = make_dataset(128)

model = TextCNN(VOCAB, EMB, KERNEL_SIZES, NUM_FILTERS, CLASSES).to(device)
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
criterion = nn.CrossEntropyLoss()
print(model)

for epoch in range(1, 5):
    model.train()
    total, correct, running = 0, 0, 0.0
    for x, y in batches(train_x, train_y, 64):
        logits = model(x)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        total += len(y)
    model.eval()
    with torch.no_grad():
        val_acc = (model(val_x.to(device)).argmax(1) == val_y.to(device)).float().mean().item()
    print(f"epoch {epoch}  train loss {running / total:.4f}  train acc {correct / total:.3f}  val acc {val_acc:.3f}")
