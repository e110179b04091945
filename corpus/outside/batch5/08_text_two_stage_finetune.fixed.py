"""Two-stage fine-tuning of a small Transformer text classifier:
stage 1 trains only the classification head on top of the (pretrained) encoder,
stage 2 unfreezes the encoder and fine-tunes everything end to end."""
import torch
import torch.nn as nn
import torch.optim as optim

VOCAB, MAX_LEN, D_MODEL, N_CLASSES = 200, 16, 32, 4
HEAD_EPOCHS, FULL_EPOCHS, BATCHES_PER_EPOCH = 2, 3, 6


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL, padding_idx=0)
        self.pos = nn.Embedding(MAX_LEN, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(D_MODEL, N_CLASSES)

    def forward(self, tokens):
        pos = torch.arange(tokens.size(1)).unsqueeze(0)
        h = self.encoder(self.embed(tokens) + self.pos(pos))
        mask = (tokens != 0).unsqueeze(-1).float()
        pooled = (h * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(self.dropout(pooled))


def make_batch(batch_size=32):
    labels = torch.randint(0, N_CLASSES, (batch_size,))
    tokens = torch.randint(1, VOCAB, (batch_size, MAX_LEN))
    # class-indicative keywords at random positions
    pos = torch.randint(0, MAX_LEN, (batch_size,))
    tokens[torch.arange(batch_size), pos] = labels + 1
    lengths = torch.randint(MAX_LEN // 2, MAX_LEN + 1, (batch_size,))
    tokens[torch.arange(MAX_LEN)[None, :] >= lengths[:, None]] = 0
    tokens[torch.arange(batch_size), pos.clamp(max=lengths - 1)] = labels + 1
    return tokens, labels


def freeze_backbone(model):
    for name in ("embed", "pos", "encoder"):
        for p in getattr(model, name).parameters():
            p.requires_grad = False


def unfreeze_backbone(model):
    for name in ("embed", "pos", "encoder"):
        getattr(model, name).requires_grad_(True)


def run_epoch(model, optimizer, criterion, epoch, stage):
    model.train()
    total, correct, loss_sum = 0, 0, 0.0
    for _ in range(BATCHES_PER_EPOCH):
        tokens, labels = make_batch()
        logits = model(tokens)
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_sum += loss.item() * labels.numel()
        correct += (logits.argmax(-1) == labels).sum().item()
        total += labels.numel()
    print(f"[{stage}] epoch {epoch} loss {loss_sum / total:.4f} acc {correct / total:.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    model = TextClassifier()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)

    freeze_backbone(model)
    for epoch in range(HEAD_EPOCHS):
        run_epoch(model, optimizer, criterion, epoch, "head")

    unfreeze_backbone(model)
    for g in optimizer.param_groups:
        g["lr"] = 5e-4
    for epoch in range(FULL_EPOCHS):
        run_epoch(model, optimizer, criterion, epoch, "full")
