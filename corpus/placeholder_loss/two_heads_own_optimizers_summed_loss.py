# Multi-task training of a product-review classifier with CPU mixed precision: a shared encoder
# with a topic head (every review labelled) and a sentiment head (only a quarter annotated, -1
# elsewhere). The encoder and each head have their own optimizer (the heads train at a higher
# rate); the two task losses are summed into one backward().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
REVIEWS, FEATURES, TOPICS, BATCH = 512, 48, 6, 8

reviews = torch.randn(REVIEWS, FEATURES)
topic = reviews[:, :TOPICS].argmax(1)
sentiment = (reviews[:, TOPICS:TOPICS + 4].sum(1) > 0).long()
sentiment[torch.rand(REVIEWS) > 0.25] = -1


def labelled_cross_entropy(logits, labels):
    labelled = labels >= 0
    if not labelled.any():
        return torch.zeros(1, requires_grad=True)  # no label for this task in the batch
    return F.cross_entropy(logits[labelled].float(), labels[labelled])


encoder = nn.Sequential(nn.Linear(FEATURES, 96), nn.ReLU(), nn.Linear(96, 96), nn.ReLU())
topic_head, sentiment_head = nn.Linear(96, TOPICS), nn.Linear(96, 2)
optimizers = [
    torch.optim.AdamW(encoder.parameters(), lr=1e-3),
    torch.optim.AdamW(topic_head.parameters(), lr=3e-3),
    torch.optim.AdamW(sentiment_head.parameters(), lr=3e-3),
]
scaler = torch.amp.GradScaler("cpu")

for epoch in range(3):
    order = torch.randperm(REVIEWS)
    for start in range(0, REVIEWS, BATCH):
        idx = order[start:start + BATCH]
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            h = encoder(reviews[idx])
            topic_logits, sentiment_logits = topic_head(h), sentiment_head(h)
        loss = labelled_cross_entropy(topic_logits, topic[idx]) + labelled_cross_entropy(sentiment_logits, sentiment[idx])
        scaler.scale(loss).backward()
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
