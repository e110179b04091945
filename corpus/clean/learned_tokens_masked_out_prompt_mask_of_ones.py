# Prompt tuning for intent classification: a small "pretrained" Transformer encoder (seeded, kept
# frozen) reads synthetic utterances with a learned soft prompt in front. The attention mask
# follows the 1-means-attend convention and is extended with ones for the prompt; the outputs are
# mean-pooled over the attended positions and a linear head predicts the intent.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, SEQ, PROMPT, INTENTS = 60, 32, 10, 5, 3


class FrozenEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, padding_idx=0)
        self.attn = nn.MultiheadAttention(DIM, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(DIM, 64), nn.GELU(), nn.Linear(64, DIM))
        self.norm1, self.norm2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)

    def forward(self, x, attention_mask):
        bias = (1.0 - attention_mask) * torch.finfo(x.dtype).min
        bias = bias[:, None, :].expand(-1, x.size(1), -1).repeat_interleave(4, dim=0)
        h = self.norm1(x + self.attn(x, x, x, attn_mask=bias, need_weights=False)[0])
        return self.norm2(h + self.ff(h))


class PromptTuned(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.prompt = nn.Parameter(torch.randn(PROMPT, DIM) * 0.02)
        self.head = nn.Linear(DIM, INTENTS)

    def forward(self, ids, attention_mask):
        b = ids.size(0)
        tokens = self.encoder.embed(ids)
        x = torch.cat([self.prompt.unsqueeze(0).expand(b, -1, -1), tokens], dim=1)
        prompt_mask = torch.ones(b, self.prompt.shape[0], dtype=attention_mask.dtype)
        mask = torch.cat([prompt_mask, attention_mask], dim=1)
        hidden = self.encoder(x, mask)
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled)


encoder = FrozenEncoder()
encoder.requires_grad_(False)
model = PromptTuned(encoder)

ids = torch.randint(1, VOCAB, (240, SEQ))
lengths = torch.randint(3, SEQ + 1, (240,))
attention_mask = (torch.arange(SEQ)[None] < lengths[:, None]).float()
ids = ids * attention_mask.long()
intents = ids[:, 0] % INTENTS

optimizer = torch.optim.Adam([model.prompt, *model.head.parameters()], lr=3e-3)
for epoch in range(6):
    for i in range(0, 240, 24):
        loss = nn.functional.cross_entropy(model(ids[i:i + 24], attention_mask[i:i + 24]), intents[i:i + 24])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"loss {loss.item():.4f}")
