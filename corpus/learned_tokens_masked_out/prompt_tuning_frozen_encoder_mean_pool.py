# Prompt tuning for a toy sentiment task: a small "pretrained" Transformer encoder (seeded, kept
# frozen) reads synthetic token sequences with a learned soft prompt in front; the attention mask
# follows the 1-means-attend convention, the outputs are mean-pooled over the attended positions
# and a linear head classifies them. Only the prompt and the head are trained.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, SEQ, PROMPT = 50, 32, 12, 4


class TinyEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.attn = nn.MultiheadAttention(DIM, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(DIM, 64), nn.GELU(), nn.Linear(64, DIM))
        self.norm1, self.norm2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)

    def forward(self, x, attention_mask):
        bias = (1.0 - attention_mask) * torch.finfo(x.dtype).min
        bias = bias[:, None, :].expand(-1, x.size(1), -1).repeat_interleave(4, dim=0)
        h = self.norm1(x + self.attn(x, x, x, attn_mask=bias, need_weights=False)[0])
        return self.norm2(h + self.ff(h))


class PromptClassifier(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.prompt = nn.Parameter(torch.randn(PROMPT, DIM) * 0.02)
        self.head = nn.Linear(DIM, 2)

    def extend_mask(self, attention_mask):
        b = attention_mask.size(0)
        prompt_mask = torch.zeros(b, self.prompt.shape[0], dtype=attention_mask.dtype)
        return torch.cat([prompt_mask, attention_mask], dim=1)

    def forward(self, ids, attention_mask):
        tokens = self.encoder.embed(ids)
        prompts = self.prompt.unsqueeze(0).expand(ids.size(0), -1, -1)
        mask = self.extend_mask(attention_mask)
        hidden = self.encoder(torch.cat([prompts, tokens], dim=1), mask)
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled)


encoder = TinyEncoder()
encoder.requires_grad_(False)
model = PromptClassifier(encoder)

ids = torch.randint(1, VOCAB, (256, SEQ))
lengths = torch.randint(4, SEQ + 1, (256,))
attention_mask = (torch.arange(SEQ)[None] < lengths[:, None]).float()
ids = ids * attention_mask.long()
labels = ((ids < VOCAB // 2) & (ids > 0)).sum(1) * 2 > lengths
labels = labels.long()

optimizer = torch.optim.Adam([model.prompt, *model.head.parameters()], lr=3e-3)
for epoch in range(6):
    for i in range(0, 256, 32):
        logits = model(ids[i:i + 32], attention_mask[i:i + 32])
        loss = nn.functional.cross_entropy(logits, labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"loss {loss.item():.4f}")
