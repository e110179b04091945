import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class MLP(nn.Module):
    def __init__(self, d_in=20, d_hidden=64, n_out=5):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_hidden)
        self.head = nn.Linear(d_hidden, n_out)

    def forward(self, x):
        x = F.gelu(self.fc1(x))
        x = F.gelu(self.fc2(x))
        return self.head(x)


class LoRALinear(nn.Module):
    """Wraps a frozen nn.Linear and adds a trainable low-rank update B @ A."""

    def __init__(self, base: nn.Linear, r=4, alpha=8, dropout=0.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.r, self.scaling = r, alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.empty(base.out_features, r))
        self.dropout = nn.Dropout(dropout)
        self.reset_lora_parameters()

    def reset_lora_parameters(self):
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B)

    def forward(self, x):
        delta = (self.dropout(x) @ self.lora_A.t()) @ self.lora_B.t()
        return self.base(x) + delta * self.scaling


def make_task(n, w, shift):
    x = torch.randn(n, 20)
    y = ((x @ w) + shift).argmax(1)
    return x, y


# "pre-training" on task A
w_a = torch.randn(20, 5)
xa, ya = make_task(2048, w_a, 0.0)
model = MLP().to(device)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(100):
    idx = torch.randint(0, xa.size(0), (128,))
    loss = F.cross_entropy(model(xa[idx]), ya[idx])
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"pretrain loss {loss.item():.3f}")

# parameter-efficient fine-tuning on a related task B: LoRA on hidden layers + new head
w_b = w_a + 0.8 * torch.randn(20, 5)
xb, yb = make_task(1024, w_b, torch.randn(5))
model.fc1 = LoRALinear(model.fc1)
model.fc2 = LoRALinear(model.fc2)
model.head = nn.Linear(64, 5)
model.to(device)

trainable = [p for p in model.parameters() if p.requires_grad]
print("trainable params:", sum(p.numel() for p in trainable))
optimizer = torch.optim.AdamW(trainable, lr=5e-3, weight_decay=0.0)

for epoch in range(4):
    perm = torch.randperm(xb.size(0))
    for i in range(0, xb.size(0), 64):
        b = perm[i:i + 64]
        logits = model(xb[b].to(device))
        loss = F.cross_entropy(logits, yb[b].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        acc = (model(xb).argmax(1) == yb).float().mean().item()
    print(f"finetune epoch {epoch} loss {loss.item():.3f} acc {acc:.3f}")
