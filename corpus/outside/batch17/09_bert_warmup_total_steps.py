# Report: https://newbe.dev/optimizer-and-scheduler-for-bert-fine-tuning
# Fine-tuning a small BERT-style classifier with AdamW and a linear warmup/decay schedule:
# num_training_steps is given as N_EPOCHS + 1 while scheduler.step() runs after every batch,
# so the learning rate reaches 0 after five batches and the rest of the run changes nothing.
import math

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB_SIZE = 1000
MAX_LEN = 16
N_EPOCHS = 4
BATCH_SIZE = 16
LR = 1e-3


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    """Same schedule as transformers.get_linear_schedule_with_warmup."""
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step)
                   / float(max(1, num_training_steps - num_warmup_steps)))
    return LambdaLR(optimizer, lr_lambda, last_epoch)


class ReviewDataset(Dataset):
    def __init__(self, n):
        self.input_ids = torch.randint(1, VOCAB_SIZE, (n, MAX_LEN))
        lengths = torch.randint(6, MAX_LEN, (n,))
        self.attention_mask = (torch.arange(MAX_LEN)[None, :] < lengths[:, None]).long()
        self.input_ids = self.input_ids * self.attention_mask
        self.labels = (self.input_ids[:, :4].sum(1) % 2).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.input_ids[i], "attention_mask": self.attention_mask[i], "labels": self.labels[i]}


class BertClassifier(nn.Module):
    def __init__(self, hidden=32, heads=4, layers=2, num_labels=2):
        super().__init__()
        self.embeddings = nn.Embedding(VOCAB_SIZE, hidden, padding_idx=0)
        self.position = nn.Embedding(MAX_LEN, hidden)
        layer = nn.TransformerEncoderLayer(hidden, heads, 4 * hidden, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(hidden, num_labels)

    def forward(self, input_ids, attention_mask):
        pos = torch.arange(input_ids.size(1), device=input_ids.device)
        h = self.embeddings(input_ids) + self.position(pos)[None]
        h = self.encoder(h, src_key_padding_mask=attention_mask == 0)
        return self.classifier(self.dropout(h[:, 0]))


model = BertClassifier().to(device)
train_loader = DataLoader(ReviewDataset(128), batch_size=BATCH_SIZE, shuffle=True)

no_decay = ["bias", "norm"]
grouped = [
    {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)], "weight_decay": 0.01},
    {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
]
optimizer = torch.optim.AdamW(grouped, lr=LR, eps=1e-8)
scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=0,
                                            num_training_steps=N_EPOCHS + 1)
loss_fn = nn.CrossEntropyLoss()


def train_epoch(epoch):
    model.train()
    total = 0.0
    for batch in train_loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        logits = model(batch["input_ids"], batch["attention_mask"])
        loss = loss_fn(logits, batch["labels"])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        total += loss.item()
    print(f"epoch {epoch}  loss {total / len(train_loader):.4f}  lr {scheduler.get_last_lr()[0]:.2e}")


for epoch in range(N_EPOCHS):
    train_epoch(epoch)
