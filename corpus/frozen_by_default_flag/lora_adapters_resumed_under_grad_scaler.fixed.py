# Resumes the LoRA fine-tuning of a small intent classifier: the base encoder stays frozen, the
# low-rank adapters saved by an earlier run are loaded back and trained further, together with
# the classification head, in float16 autocast with a gradient scaler.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, N_INTENTS = 200, 32, 6


class LoRALinear(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.zeros(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scale


class IntentEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.proj_in = nn.Linear(DIM, DIM)
        self.proj_out = nn.Linear(DIM, DIM)
        self.head = nn.Linear(DIM, N_INTENTS)

    def forward(self, tokens):
        h = self.embed(tokens)
        h = h + self.proj_out(torch.relu(self.proj_in(h)))
        return self.head(h.mean(1))


def load_adapter(model, state, targets, rank=4, alpha=8, is_trainable=False):
    """Wrap the target projections with LoRA layers holding the saved adapter weights."""
    for name in targets:
        lora = LoRALinear(getattr(model, name), rank, alpha)
        lora.lora_A.data.copy_(state[f"{name}.lora_A"])
        lora.lora_B.data.copy_(state[f"{name}.lora_B"])
        for p in (lora.lora_A, lora.lora_B):
            p.requires_grad_(is_trainable)
        setattr(model, name, lora)
    return model


model = IntentEncoder()
model.requires_grad_(False)
model.head.requires_grad_(True)
saved = {}
for name in ("proj_in", "proj_out"):
    saved[f"{name}.lora_A"] = torch.randn(4, DIM) * 0.05
    saved[f"{name}.lora_B"] = torch.randn(DIM, 4) * 0.01
model = load_adapter(
    model,
    saved,
    targets=["proj_in", "proj_out"],
    rank=4,
    alpha=8,
    is_trainable=True,
)

adapter_params = [p for n, p in model.named_parameters() if "lora_" in n]
head_opt = torch.optim.AdamW(model.head.parameters(), lr=1e-3)
adapter_opt = torch.optim.AdamW(adapter_params, lr=2e-4)
scaler = torch.amp.GradScaler("cpu")

tokens = torch.randint(0, VOCAB, (256, 12))
intents = tokens[:, :3].sum(1) % N_INTENTS
for epoch in range(3):
    for i in range(0, 256, 32):
        with torch.autocast("cpu", dtype=torch.float16):
            logits = model(tokens[i:i + 32])
        loss = nn.functional.cross_entropy(logits.float(), intents[i:i + 32])
        head_opt.zero_grad()
        adapter_opt.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(head_opt)
        scaler.step(adapter_opt)
        scaler.update()
    print(f"epoch {epoch} loss {loss.item():.4f}")
