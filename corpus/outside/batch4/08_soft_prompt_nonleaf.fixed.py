"""Soft-prompt tuning of a frozen text encoder + frozen classifier.

Only the placeholder token embeddings of the prompt "<s> * * * * <label-words>" are
optimised; the encoder and the classifier head stay frozen.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, DIM, N_CTX, SEQ, N_CLASSES = 100, 32, 4, 8, 3


class TextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, DIM)
        self.positional_embedding = nn.Parameter(torch.randn(N_CTX + 1 + SEQ, DIM) * 0.02)
        layer = nn.TransformerEncoderLayer(DIM, nhead=4, dim_feedforward=64, batch_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers=2)
        self.ln_final = nn.LayerNorm(DIM)

    def encode_embeddings(self, embeddings):
        x = embeddings + self.positional_embedding[: embeddings.size(1)]
        x = self.transformer(x)
        return self.ln_final(x[:, 0])


encoder = TextEncoder()
classifier = nn.Linear(DIM, N_CLASSES)
for p in list(encoder.parameters()) + list(classifier.parameters()):
    p.requires_grad_(False)
encoder.eval()

# "<s> * * * *" prompt; the four "*" placeholders are the learnable context
prompt_ids = torch.tensor([[1] + [2] * N_CTX])
with torch.no_grad():
    text_embedding = encoder.token_embedding(prompt_ids)          # (1, 1 + N_CTX, DIM)
embeddings_to_optimize = text_embedding[:, 1:1 + N_CTX].clone().requires_grad_(True)

optimizer = torch.optim.AdamW([embeddings_to_optimize], lr=5e-2, weight_decay=0.0)


def make_batch(n=16):
    """Class c sentences mostly contain tokens from the block [10 + 20c, 30 + 20c)."""
    y = torch.randint(0, N_CLASSES, (n,))
    x = torch.randint(10, 30, (n, SEQ)) + 20 * y[:, None]
    return x, y


for step in range(25):
    x, y = make_batch()
    ctx = torch.cat([text_embedding[:, :1], embeddings_to_optimize], dim=1)
    tokens = encoder.token_embedding(x)
    inputs = torch.cat([ctx.expand(x.size(0), -1, -1), tokens], dim=1)
    logits = classifier(encoder.encode_embeddings(inputs))
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        acc = (logits.argmax(1) == y).float().mean()
        print(f"step {step:2d} loss {loss.item():.4f} acc {acc:.2f}")
