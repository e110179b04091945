# Prompt tuning (soft prompt + linear head) of a frozen text encoder for topic classification.
#
# Report: https://github.com/huggingface/sentence-transformers/pull/3000
# (with PEFT prompt learning the attention mask must be extended for the virtual tokens; the review
# asks whether the virtual tokens' mask entries should be ones or zeros, and ones is the answer.)
#
# Fault (own words): the wrapper prepends the soft prompt to the token embeddings and extends the
# HF-style attention mask (1 = attend, 0 = padding) with zeros for the virtual tokens. The encoder
# turns mask == 0 into key_padding_mask, so no real token ever attends to a prompt vector, and the
# masked mean-pooling skips the prompt positions too. The prompt has no path to the loss: its
# gradient is exactly zero and it never changes; only the linear head learns.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

HPARAMS = {
    "vocab_size": 400, "d_model": 48, "n_heads": 4, "n_layers": 2, "max_len": 24,
    "num_virtual_tokens": 8, "num_labels": 3, "batch_size": 32, "epochs": 4, "lr": 1e-2, "seed": 21,
}
torch.manual_seed(HPARAMS["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class FrozenTextEncoder(nn.Module):
    """Stand-in for a downloaded pretrained encoder (it is never trained here)."""

    def __init__(self, vocab, d, heads, layers, max_len):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_len + 32, d)
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.1, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)

    def forward(self, inputs_embeds, attention_mask):
        pos = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device)
        h = inputs_embeds + self.position_embeddings(pos)
        h = self.layers(h, src_key_padding_mask=attention_mask == 0)
        return self.norm(h)


class PromptTuningClassifier(nn.Module):
    def __init__(self, encoder, num_virtual_tokens, num_labels):
        super().__init__()
        self.encoder = encoder
        d = encoder.word_embeddings.embedding_dim
        # initialise the virtual tokens from random vocabulary embeddings
        idx = torch.randint(1, encoder.word_embeddings.num_embeddings, (num_virtual_tokens,))
        self.prompt = nn.Parameter(encoder.word_embeddings.weight[idx].detach().clone())
        self.head = nn.Linear(d, num_labels)

    def forward(self, input_ids, attention_mask):
        b = input_ids.shape[0]
        embeds = self.encoder.word_embeddings(input_ids)
        prompts = self.prompt.unsqueeze(0).expand(b, -1, -1)
        inputs_embeds = torch.cat([prompts, embeds], dim=1)
        prefix_mask = torch.ones(b, self.prompt.shape[0], dtype=attention_mask.dtype, device=attention_mask.device)
        attention_mask = torch.cat([prefix_mask, attention_mask], dim=1)
        hidden = self.encoder(inputs_embeds, attention_mask)
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(pooled)


class TopicDataset(Dataset):
    """Each topic draws most of its words from its own slice of the vocabulary."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        V, L, K = HPARAMS["vocab_size"], HPARAMS["max_len"], HPARAMS["num_labels"]
        self.labels = torch.randint(0, K, (n,), generator=g)
        lengths = torch.randint(6, L + 1, (n,), generator=g)
        slice_size = (V - 1) // (K + 1)
        topical = 1 + self.labels.unsqueeze(1) * slice_size + torch.randint(0, slice_size, (n, L), generator=g)
        generic = 1 + K * slice_size + torch.randint(0, slice_size, (n, L), generator=g)
        ids = torch.where(torch.rand(n, L, generator=g) < 0.5, topical, generic)
        self.attention_mask = (torch.arange(L).unsqueeze(0) < lengths.unsqueeze(1)).long()
        self.input_ids = ids * self.attention_mask

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.input_ids[i], "attention_mask": self.attention_mask[i], "labels": self.labels[i]}


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    loss = 0.0
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        logits = model(batch["input_ids"], batch["attention_mask"])
        loss += F.cross_entropy(logits, batch["labels"], reduction="sum").item()
        correct += (logits.argmax(-1) == batch["labels"]).sum().item()
        total += len(batch["labels"])
    model.train()
    return loss / total, correct / total


encoder = FrozenTextEncoder(HPARAMS["vocab_size"], HPARAMS["d_model"], HPARAMS["n_heads"], HPARAMS["n_layers"], HPARAMS["max_len"])
encoder.requires_grad_(False)
model = PromptTuningClassifier(encoder, HPARAMS["num_virtual_tokens"], HPARAMS["num_labels"]).to(device)
trainable = [p for p in model.parameters() if p.requires_grad]
print(f"trainable parameters: {sum(p.numel() for p in trainable)}")

train_loader = DataLoader(TopicDataset(1200, 0), batch_size=HPARAMS["batch_size"], shuffle=True)
val_loader = DataLoader(TopicDataset(500, 1), batch_size=250)
optimizer = torch.optim.AdamW(trainable, lr=HPARAMS["lr"], weight_decay=0.0)
total_steps = HPARAMS["epochs"] * len(train_loader)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * s / total_steps)))

for epoch in range(HPARAMS["epochs"]):
    for step, batch in enumerate(train_loader):
        batch = {k: v.to(device) for k, v in batch.items()}
        loss = F.cross_entropy(model(batch["input_ids"], batch["attention_mask"]), batch["labels"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % 20 == 0:
            print(f"epoch {epoch} step {step:02d} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")
    val_loss, val_acc = evaluate(model, val_loader)
    print(f"epoch {epoch}: val loss {val_loss:.4f} val acc {val_acc:.3f}")
