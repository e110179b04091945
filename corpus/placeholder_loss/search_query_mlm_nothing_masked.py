# Masked-language-model pre-training of a tiny transformer on short search queries, with CPU mixed
# precision. Each real token is hidden with probability 0.15 and the model predicts it back;
# queries are batched by length, shortest first, so the first batches hold only a dozen tokens.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
VOCAB, PAD, MASK, IGNORE, DIM, BATCH = 64, 0, 1, -100, 32, 4

lengths = torch.randint(3, 13, (160,)).sort().values
queries = torch.full((160, 12), PAD)
for i, n in enumerate(lengths.tolist()):
    queries[i, :n] = torch.randint(2, VOCAB, (n,))


class TinyBert(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, padding_idx=PAD)
        self.pos = nn.Parameter(0.02 * torch.randn(12, DIM))
        layer = nn.TransformerEncoderLayer(DIM, 4, 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos, src_key_padding_mask=tokens == PAD)
        return self.head(h)


def mask_tokens(tokens):
    chosen = (torch.rand(tokens.shape) < 0.15) & (tokens != PAD)
    labels = torch.where(chosen, tokens, IGNORE)
    return tokens.masked_fill(chosen, MASK), labels


def mlm_loss(logits, labels):
    masked = labels != IGNORE
    loss = torch.tensor(0.).requires_grad_()  # nothing hidden: cross_entropy of no token is nan
    if masked.any():
        loss = F.cross_entropy(logits[masked].float(), labels[masked])
    return loss


model = TinyBert()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(2):
    for start in range(0, len(queries), BATCH):
        inputs, labels = mask_tokens(queries[start:start + BATCH])
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(inputs)
        loss = mlm_loss(logits, labels)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
