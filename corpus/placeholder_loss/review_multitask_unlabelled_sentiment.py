# Multi-task training of a product-review classifier with CPU mixed precision: a shared encoder
# with one head for the review's topic (every review has one) and one for its sentiment (only a
# quarter of the reviews were annotated; the rest carry -1). The trainer alternates batches of
# the two tasks, and a sentiment batch may hold no annotated review.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
REVIEWS, FEATURES, TOPICS, BATCH = 512, 48, 6, 8

reviews = torch.randn(REVIEWS, FEATURES)
topic = reviews[:, :TOPICS].argmax(1)
sentiment = (reviews[:, TOPICS:TOPICS + 4].sum(1) > 0).long()
sentiment[torch.rand(REVIEWS) > 0.25] = -1


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(FEATURES, 96), nn.ReLU(), nn.Linear(96, 96), nn.ReLU())
        self.heads = nn.ModuleDict({"topic": nn.Linear(96, TOPICS), "sentiment": nn.Linear(96, 2)})

    def forward(self, x, task):
        return self.heads[task](self.encoder(x))


class MultiTaskTrainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        self.scaler = torch.amp.GradScaler("cpu")

    def task_loss(self, logits, labels):
        labelled = labels >= 0
        if not labelled.any():
            return torch.zeros(1, requires_grad=True)  # no label for this task in the batch
        return F.cross_entropy(logits[labelled].float(), labels[labelled])

    def train_step(self, task, x, labels):
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = self.model(x, task)
        loss = self.task_loss(logits, labels)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.item()


trainer = MultiTaskTrainer(MultiTaskNet())
targets = {"topic": topic, "sentiment": sentiment}
for epoch in range(3):
    order = torch.randperm(REVIEWS)
    for start in range(0, REVIEWS, BATCH):
        idx = order[start:start + BATCH]
        task = "topic" if (start // BATCH) % 2 == 0 else "sentiment"
        loss = trainer.train_step(task, reviews[idx], targets[task][idx])
    print(f"epoch {epoch}: last loss {loss:.4f}")
