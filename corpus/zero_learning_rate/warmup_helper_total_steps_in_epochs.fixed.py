"""Fine-tuning a small transformer encoder with a linear warm-up/decay helper written after
transformers' get_linear_schedule_with_warmup: the total is given in epochs, the scheduler steps
per batch inside `enumerate(loader)`."""
import torch
import torch.nn as nn

torch.manual_seed(0)
EPOCHS, WARMUP = 4, 2


def linear_warmup_decay(optimizer, warmup_steps, total_steps):
    def factor(step):
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), num_layers=2)
head = nn.Linear(32, 3)
params = list(encoder.parameters()) + list(head.parameters())
optimizer = torch.optim.AdamW(params, lr=3e-4)
scheduler = linear_warmup_decay(optimizer, warmup_steps=WARMUP, total_steps=EPOCHS)
loader = [(torch.randn(8, 12, 32), torch.randint(0, 3, (8,))) for _ in range(16)]

for epoch in range(EPOCHS):
    for i, (tokens, labels) in enumerate(loader):
        logits = head(encoder(tokens).mean(dim=1))
        loss = nn.functional.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(epoch, loss.item())
