"""P-tuning a frozen bidirectional encoder for review sentiment: the template puts a few [P]
placeholder tokens before the review, and their embeddings are replaced by trained vectors."""
import math
import random

import torch
from torch import nn
from torch.nn import functional as F

SEED = 7
VOCAB = 300
PAD, CLS, PROMPT = 0, 1, 2
N_PROMPT = 6
HIDDEN = 48
MAX_LEN = 40

random.seed(SEED)
torch.manual_seed(SEED)


class MiniEncoder(nn.Module):
    """A small BERT-like encoder with the usual forward(input_ids=None, ..., inputs_embeds=None)."""

    def __init__(self, vocab_size, hidden, layers=2, heads=4):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden, padding_idx=PAD)
        self.position_embeddings = nn.Embedding(MAX_LEN, hidden)
        self.emb_norm = nn.LayerNorm(hidden)
        block = nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout=0.0, batch_first=True)
        self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)

    def forward(self, input_ids=None, attention_mask=None, inputs_embeds=None):
        if input_ids is not None:
            inputs_embeds = self.word_embeddings(input_ids)
        positions = torch.arange(inputs_embeds.size(1), device=inputs_embeds.device)
        hidden = self.emb_norm(inputs_embeds + self.position_embeddings(positions))
        padding = None if attention_mask is None else ~attention_mask.bool()
        return self.blocks(hidden, src_key_padding_mask=padding)


class PTuningClassifier(nn.Module):
    def __init__(self, encoder, n_prompt, n_classes=2):
        super().__init__()
        self.encoder = encoder.requires_grad_(False)
        dim = encoder.word_embeddings.embedding_dim
        self.prompt = nn.Parameter(torch.randn(n_prompt, dim) / math.sqrt(dim))
        self.classifier = nn.Linear(dim, n_classes)

    def forward(self, input_ids, attention_mask):
        token_embeds = self.encoder.word_embeddings(input_ids)
        # the [P] slots lead every template, so their vectors replace the first N_PROMPT embeddings
        prompt_embeds = self.prompt.unsqueeze(0).expand(input_ids.size(0), -1, -1)
        inputs_embeds = torch.cat([prompt_embeds, token_embeds[:, N_PROMPT:]], dim=1)
        hidden = self.encoder(
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
        )
        return self.classifier(hidden[:, N_PROMPT + 1])


def make_reviews(n):
    """Each review is filler words plus a few sentiment words; the label is the majority polarity."""
    good, bad = range(10, 30), range(30, 50)
    rows = []
    for _ in range(n):
        label = random.randint(0, 1)
        words = [random.randrange(50, VOCAB) for _ in range(random.randint(10, MAX_LEN - N_PROMPT - 2))]
        for _ in range(3):
            words[random.randrange(len(words))] = random.choice(good if label else bad)
        rows.append(([PROMPT] * N_PROMPT + [CLS] + words, label))
    return rows


def batches(rows, size, shuffle):
    order = list(range(len(rows)))
    if shuffle:
        random.shuffle(order)
    for start in range(0, len(order), size):
        chunk = [rows[i] for i in order[start:start + size]]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), PAD)
        for row, (tokens, _) in enumerate(chunk):
            ids[row, :len(tokens)] = torch.tensor(tokens)
        yield ids, (ids != PAD).long(), torch.tensor([label for _, label in chunk])


def accuracy(model, rows):
    model.eval()
    hits = 0
    with torch.no_grad():
        for ids, mask, labels in batches(rows, 64, shuffle=False):
            hits += (model(ids, mask).argmax(-1) == labels).sum().item()
    model.train()
    return hits / len(rows)


def main():
    pretrained = MiniEncoder(VOCAB, HIDDEN)
    model = PTuningClassifier(pretrained, N_PROMPT)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=5e-3,
        weight_decay=0.0,
    )
    train_rows, val_rows = make_reviews(384), make_reviews(128)
    for epoch in range(4):
        running = 0.0
        for ids, mask, labels in batches(train_rows, 32, shuffle=True):
            loss = F.cross_entropy(model(ids, mask), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch} loss {running / 12:.3f} val acc {accuracy(model, val_rows):.3f}")


if __name__ == "__main__":
    main()
