# Report: https://github.com/unslothai/unsloth/issues/3798
# The report: inputs_embeds given to the patched Llama model's generate() were silently ignored
# whenever an input_ids tensor was present as well.
"""Prompt tuning (soft prompt + classification head) on top of a frozen decoder-only LM."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


@dataclass
class Config:
    vocab: int = 100
    d_model: int = 64
    n_head: int = 4
    n_layer: int = 2
    max_len: int = 48
    n_virtual: int = 8
    pad_id: int = 0
    bos_id: int = 1
    n_labels: int = 3
    epochs: int = 5
    lr: float = 3e-3


cfg = Config()
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TinyDecoderLM(nn.Module):
    """Stand-in for a pretrained causal LM with a HF-style forward signature."""

    def __init__(self, c: Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(c.vocab, c.d_model, padding_idx=c.pad_id)
        self.embed_pos = nn.Embedding(c.max_len, c.d_model)
        layer = nn.TransformerEncoderLayer(c.d_model, c.n_head, 4 * c.d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, c.n_layer, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.d_model)

    def forward(self, input_ids=None, inputs_embeds=None, attention_mask=None):
        if inputs_embeds is not None and input_ids is None:
            hidden = inputs_embeds
        else:
            hidden = self.embed_tokens(input_ids)
        seq = hidden.shape[1]
        hidden = hidden + self.embed_pos(torch.arange(seq, device=hidden.device))
        causal = torch.triu(torch.ones(seq, seq, dtype=torch.bool, device=hidden.device), 1)
        pad_mask = None if attention_mask is None else attention_mask == 0
        hidden = self.layers(hidden, mask=causal, src_key_padding_mask=pad_mask)
        return self.norm(hidden)


class PromptTunedClassifier(nn.Module):
    def __init__(self, lm: TinyDecoderLM, c: Config):
        super().__init__()
        self.lm = lm
        for p in self.lm.parameters():
            p.requires_grad_(False)
        init = lm.embed_tokens.weight[torch.randint(2, c.vocab, (c.n_virtual,))].detach().clone()
        self.soft_prompt = nn.Parameter(init)
        self.head = nn.Linear(c.d_model, c.n_labels)
        self.n_virtual = c.n_virtual
        self.bos_id = c.bos_id

    def forward(self, input_ids, attention_mask):
        b = input_ids.shape[0]
        token_embeds = self.lm.embed_tokens(input_ids)
        prompt = self.soft_prompt.unsqueeze(0).expand(b, -1, -1)
        inputs_embeds = torch.cat([prompt, token_embeds], dim=1)
        # keep ids / mask aligned with the embeddings (virtual positions get a filler id)
        filler = torch.full((b, self.n_virtual), self.bos_id, dtype=input_ids.dtype, device=input_ids.device)
        full_ids = torch.cat([filler, input_ids], dim=1)
        full_mask = torch.cat([torch.ones_like(filler), attention_mask], dim=1)
        hidden = self.lm(input_ids=full_ids, inputs_embeds=inputs_embeds, attention_mask=full_mask)
        last = full_mask.sum(1) - 1
        pooled = hidden[torch.arange(b, device=hidden.device), last]
        return self.head(pooled)


class KeywordIntentDataset(Dataset):
    """Variable-length token sequences; the intent is decided by which keyword group appears most."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        groups = [torch.arange(10, 20), torch.arange(20, 30), torch.arange(30, 40)]
        self.items = []
        for _ in range(n):
            label = int(torch.randint(0, cfg.n_labels, (1,), generator=g))
            length = int(torch.randint(12, cfg.max_len - cfg.n_virtual, (1,), generator=g))
            ids = torch.randint(40, cfg.vocab, (length,), generator=g)
            k = int(torch.randint(3, 6, (1,), generator=g))
            pos = torch.randperm(length, generator=g)[:k]
            ids[pos] = groups[label][torch.randint(0, 10, (k,), generator=g)]
            self.items.append((ids, label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    ids = nn.utils.rnn.pad_sequence([b[0] for b in batch], batch_first=True, padding_value=cfg.pad_id)
    mask = (ids != cfg.pad_id).long()
    labels = torch.tensor([b[1] for b in batch])
    return ids, mask, labels


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for ids, mask, labels in loader:
        logits = model(ids.to(device), mask.to(device))
        correct += (logits.argmax(-1).cpu() == labels).sum().item()
        total += labels.numel()
    model.train()
    return correct / total


base_lm = TinyDecoderLM(cfg)
model = PromptTunedClassifier(base_lm, cfg).to(device)
trainable = [p for p in model.parameters() if p.requires_grad]
print("trainable tensors:", [n for n, p in model.named_parameters() if p.requires_grad])
optimizer = torch.optim.Adam(trainable, lr=cfg.lr)
train_loader = DataLoader(KeywordIntentDataset(480, 0), batch_size=32, shuffle=True, collate_fn=collate)
val_loader = DataLoader(KeywordIntentDataset(192, 1), batch_size=64, collate_fn=collate)

for epoch in range(cfg.epochs):
    total = 0.0
    for ids, mask, labels in train_loader:
        ids, mask, labels = ids.to(device), mask.to(device), labels.to(device)
        loss = F.cross_entropy(model(ids, mask), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: train loss {total / len(train_loader):.4f}  val acc {evaluate(model, val_loader):.3f}")
