"""Joint intent detection and slot filling on synthetic utterances. The slot tagger is an
auxiliary task: its gradient into the shared Transformer encoder is scaled down (heads.SlotHead)."""
import random

import torch
import torch.nn.functional as F
from torch import nn

from heads import IntentHead, SlotHead

VOCAB, N_INTENTS, N_SLOTS = 60, 5, 6
MAX_LEN, BATCH, STEPS = 14, 32, 40
PAD = 0

random.seed(11)
torch.manual_seed(11)


def make_utterance():
    length = random.randint(4, MAX_LEN)
    tokens = [random.randint(1, VOCAB - 1) for _ in range(length)]
    intent = max(tokens[:3]) % N_INTENTS
    slots = [t % N_SLOTS for t in tokens]
    pad = MAX_LEN - length
    return tokens + [PAD] * pad, slots + [-100] * pad, intent


def make_batch(size):
    rows = [make_utterance() for _ in range(size)]
    tokens = torch.tensor([r[0] for r in rows])
    slots = torch.tensor([r[1] for r in rows])
    intents = torch.tensor([r[2] for r in rows])
    return tokens, slots, intents


class JointModel(nn.Module):
    def __init__(self, dim=48):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim, padding_idx=PAD)
        self.position = nn.Parameter(0.02 * torch.randn(MAX_LEN, dim))
        self.encoder = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=2 * dim, dropout=0.1, batch_first=True)
        self.slot_head = SlotHead(dim, N_SLOTS, grad_scale=0.3)
        self.intent_head = IntentHead(dim, N_INTENTS)

    def forward(self, tokens):
        pad_mask = tokens.eq(PAD)
        h = self.encoder(self.embed(tokens) + self.position)
        slot_logits = self.slot_head(h)
        h[pad_mask] = 0.0
        lengths = (~pad_mask).sum(1, keepdim=True).clamp(min=1)
        pooled = h.sum(1) / lengths
        return self.intent_head(pooled), slot_logits


def main():
    model = JointModel()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    val_tokens, val_slots, val_intents = make_batch(256)
    for step in range(1, STEPS + 1):
        model.train()
        tokens, slots, intents = make_batch(BATCH)
        intent_logits, slot_logits = model(tokens)
        intent_loss = F.cross_entropy(intent_logits, intents)
        slot_loss = F.cross_entropy(slot_logits.reshape(-1, N_SLOTS), slots.reshape(-1), ignore_index=-100)
        loss = intent_loss + slot_loss
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 10 == 0:
            model.eval()
            with torch.no_grad():
                intent_logits, slot_logits = model(val_tokens)
                intent_acc = (intent_logits.argmax(-1) == val_intents).float().mean().item()
                keep = val_slots.ne(-100)
                slot_acc = (slot_logits.argmax(-1)[keep] == val_slots[keep]).float().mean().item()
            print(f"step {step}: loss {loss.item():.3f} intent acc {intent_acc:.3f} slot acc {slot_acc:.3f}")


if __name__ == "__main__":
    main()
