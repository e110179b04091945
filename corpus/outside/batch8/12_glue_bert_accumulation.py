"""Fine-tune a small BERT-style encoder on a GLUE-like sentence-pair task (run_glue.py layout).

A small per-device batch is combined with gradient accumulation to reach the effective batch
size used in the paper.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

torch.manual_seed(0)

VOCAB, MAX_LEN, HIDDEN = 200, 24, 32


class Args:
    per_gpu_train_batch_size = 8
    gradient_accumulation_steps = 8      # effective batch size 64
    num_train_epochs = 3
    learning_rate = 2e-4
    weight_decay = 0.01
    adam_epsilon = 1e-8
    max_grad_norm = 1.0
    warmup_steps = 2
    logging_steps = 2


class BertEmbeddings(nn.Module):
    def __init__(self):
        super().__init__()
        self.word_embeddings = nn.Embedding(VOCAB, HIDDEN, padding_idx=0)
        self.position_embeddings = nn.Embedding(MAX_LEN, HIDDEN)
        self.token_type_embeddings = nn.Embedding(2, HIDDEN)
        self.LayerNorm = nn.LayerNorm(HIDDEN)
        self.dropout = nn.Dropout(0.1)

    def forward(self, input_ids, token_type_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        emb = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        return self.dropout(self.LayerNorm(emb))


class BertForSequenceClassification(nn.Module):
    def __init__(self, num_labels=2, num_layers=2):
        super().__init__()
        self.embeddings = BertEmbeddings()
        layer = nn.TransformerEncoderLayer(HIDDEN, nhead=4, dim_feedforward=64, dropout=0.1,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=num_layers, enable_nested_tensor=False)
        self.pooler = nn.Sequential(nn.Linear(HIDDEN, HIDDEN), nn.Tanh())
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(HIDDEN, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids, labels=None):
        h = self.encoder(self.embeddings(input_ids, token_type_ids), src_key_padding_mask=attention_mask == 0)
        logits = self.classifier(self.dropout(self.pooler(h[:, 0])))
        outputs = (logits,)
        if labels is not None:
            outputs = (nn.functional.cross_entropy(logits, labels),) + outputs
        return outputs


def load_and_cache_examples(n=48):
    """Paraphrase-style pairs: label 1 when the second segment repeats the first one's topic words."""
    input_ids = torch.zeros(n, MAX_LEN, dtype=torch.long)
    token_type_ids = torch.zeros(n, MAX_LEN, dtype=torch.long)
    attention_mask = torch.zeros(n, MAX_LEN, dtype=torch.long)
    labels = torch.randint(0, 2, (n,))
    for i in range(n):
        a = torch.randint(3, VOCAB, (8,))
        b = a[torch.randperm(8)] if labels[i] == 1 else torch.randint(3, VOCAB, (8,))
        seq = torch.cat([torch.tensor([1]), a, torch.tensor([2]), b, torch.tensor([2])])
        input_ids[i, :seq.numel()] = seq
        token_type_ids[i, 10:seq.numel()] = 1
        attention_mask[i, :seq.numel()] = 1
    return TensorDataset(input_ids, attention_mask, token_type_ids, labels)


def train(args, train_dataset, model):
    train_sampler = RandomSampler(train_dataset)
    train_dataloader = DataLoader(train_dataset, sampler=train_sampler, batch_size=args.per_gpu_train_batch_size)

    no_decay = ["bias", "LayerNorm.weight"]
    optimizer_grouped_parameters = [
        {"params": [p for n, p in model.named_parameters() if not any(nd in n for nd in no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(nd in n for nd in no_decay)],
         "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(optimizer_grouped_parameters, lr=args.learning_rate, eps=args.adam_epsilon)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, float(step + 1) / float(args.warmup_steps + 1)))

    global_step = 0
    tr_loss, logging_loss = 0.0, 0.0
    model.zero_grad()
    for epoch in range(args.num_train_epochs):
        for step, batch in enumerate(train_dataloader):
            model.train()
            inputs = {"input_ids": batch[0], "attention_mask": batch[1], "token_type_ids": batch[2], "labels": batch[3]}
            outputs = model(**inputs)
            loss = outputs[0]
            if args.gradient_accumulation_steps > 1:
                loss = loss / args.gradient_accumulation_steps
            loss.backward()
            tr_loss += loss.item()
            if (step + 1) % args.gradient_accumulation_steps == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                optimizer.step()
                scheduler.step()
                model.zero_grad()
                global_step += 1
                if global_step % args.logging_steps == 0:
                    print(f"step {global_step} lr {scheduler.get_last_lr()[0]:.2e} "
                          f"loss {(tr_loss - logging_loss) / args.logging_steps:.4f}")
                    logging_loss = tr_loss
        print(f"epoch {epoch} done, tr_loss {tr_loss:.4f}")
    return global_step, tr_loss / max(global_step, 1)


if __name__ == "__main__":
    args = Args()
    model = BertForSequenceClassification(num_labels=2)
    train_dataset = load_and_cache_examples()
    global_step, tr_loss = train(args, train_dataset, model)
    print(f" global_step = {global_step}, average loss = {tr_loss:.4f}")
