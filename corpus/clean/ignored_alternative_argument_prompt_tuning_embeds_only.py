"""Prompt tuning a frozen decoder-only LM for intent detection: 5 soft-prompt vectors are prepended
to the token embeddings and the model is called with the embeddings and the mask alone."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)

VOCAB, DIM, N_SOFT, N_INTENTS, PAD = 120, 48, 5, 3, 0


class FrozenDecoder(nn.Module):
    """HF-style forward: input_ids or inputs_embeds; the ids win when both are given."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, DIM, padding_idx=PAD)
        self.wpe = nn.Embedding(64, DIM)
        block = nn.TransformerEncoderLayer(DIM, 4, 2 * DIM, dropout=0.0, batch_first=True, norm_first=True)
        self.h = nn.TransformerEncoder(block, 2, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(DIM)

    def forward(self, input_ids=None, inputs_embeds=None, attention_mask=None):
        if input_ids is not None:
            inputs_embeds = self.wte(input_ids)
        n = inputs_embeds.size(1)
        x = inputs_embeds + self.wpe(torch.arange(n))
        causal = torch.triu(torch.ones(n, n, dtype=torch.bool), 1)
        pad = None if attention_mask is None else attention_mask == 0
        return self.ln_f(self.h(x, mask=causal, src_key_padding_mask=pad))


class SoftPromptIntent(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone.requires_grad_(False)
        self.soft_prompt = nn.Parameter(backbone.wte.weight[10:10 + N_SOFT].detach().clone())
        self.score = nn.Linear(DIM, N_INTENTS, bias=False)

    def forward(self, input_ids, attention_mask):
        b = input_ids.size(0)
        prompt = self.soft_prompt.unsqueeze(0).expand(b, -1, -1)
        inputs_embeds = torch.cat([prompt, self.backbone.wte(input_ids)], dim=1)
        full_mask = torch.cat([attention_mask.new_ones(b, N_SOFT), attention_mask], dim=1)
        hidden = self.backbone(inputs_embeds=inputs_embeds, attention_mask=full_mask)
        last = full_mask.sum(1) - 1
        return self.score(hidden[torch.arange(b), last])


def utterances(n, gen):
    """Filler tokens plus two cue words from the intent's group; right-padded."""
    lengths = torch.randint(6, 20, (n,), generator=gen)
    labels = torch.randint(N_INTENTS, (n,), generator=gen)
    ids = torch.full((n, 20), PAD)
    for i in range(n):
        row = torch.randint(40, VOCAB, (int(lengths[i]),), generator=gen)
        cues = 20 + 5 * labels[i] + torch.randint(5, (2,), generator=gen)
        row[torch.randperm(int(lengths[i]), generator=gen)[:2]] = cues
        ids[i, : lengths[i]] = row
    return ids, (ids != PAD).long(), labels


gen = torch.Generator().manual_seed(21)
model = SoftPromptIntent(FrozenDecoder())
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
train_ids, train_mask, train_labels = utterances(320, gen)

for epoch in range(4):
    perm = torch.randperm(320, generator=gen)
    for i in range(0, 320, 32):
        idx = perm[i:i + 32]
        loss = F.cross_entropy(model(train_ids[idx], train_mask[idx]), train_labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        acc = (model(train_ids, train_mask).argmax(-1) == train_labels).float().mean()
    print(f"epoch {epoch}: last loss {loss.item():.3f}, train acc {acc:.3f}")
