"""Few-shot intent classification with a SetFit-style model and a differentiable (torch) head.

Phase 1 fine-tunes the sentence-transformer body contrastively on sentence pairs; the
classification head is then fit on the embeddings."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class SentenceBody(nn.Module):
    """Tiny stand-in for a sentence-transformers model (embedding bag + mean pooling + dense)."""

    def __init__(self, vocab=200, dim=32):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.dense = nn.Linear(dim, dim)

    def encode(self, input_ids):
        return F.normalize(torch.tanh(self.dense(self.word_embeddings(input_ids).mean(1))), dim=-1)


class SetFitHead(nn.Module):
    def __init__(self, in_features=32, out_features=3, temperature=1.0):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.temperature = temperature

    def forward(self, features):
        return self.linear(features) / self.temperature


class SetFitModel(nn.Module):
    def __init__(self, model_body, model_head):
        super().__init__()
        self.model_body = model_body
        self.model_head = model_head

    def freeze(self, component=None):
        if component is None or component == "head":
            for p in self.model_head.parameters():
                p.requires_grad_(False)
        if component is None or component == "body":
            for p in self.model_body.parameters():
                p.requires_grad_(False)

    def unfreeze(self, component=None):
        if component is None or component == "head":
            for p in self.model_head.parameters():
                p.requires_grad_(True)
        if component is None or component == "body":
            for p in self.model_body.parameters():
                p.requires_grad_(True)

    def fit(self, x, y, num_epochs, learning_rate=1e-2, body_learning_rate=1e-5, l2_weight=0.0):
        params = [{"params": [p for p in self.model_body.parameters() if p.requires_grad], "lr": body_learning_rate},
                  {"params": self.model_head.parameters(), "lr": learning_rate}]
        optimizer = torch.optim.AdamW(params, weight_decay=l2_weight)
        for epoch in range(num_epochs):
            for i in range(0, len(x), 8):
                logits = self.model_head(self.model_body.encode(x[i:i + 8]))
                loss = F.cross_entropy(logits, y[i:i + 8])
                optimizer.zero_grad()
                if loss.requires_grad:
                    loss.backward()
                optimizer.step()

    def predict(self, x):
        with torch.no_grad():
            return self.model_head(self.model_body.encode(x)).argmax(-1)


class SetFitTrainer:
    def __init__(self, model, train_dataset, num_iterations=4, num_epochs=2, learning_rate=2e-3):
        self.model = model
        self.x, self.y = train_dataset
        self.num_iterations = num_iterations
        self.num_epochs = num_epochs
        self.learning_rate = learning_rate
        self._freeze = True

    def freeze(self):
        self._freeze = True
        self.model.freeze("head")

    def unfreeze(self, keep_body_frozen=False):
        self._freeze = False
        self.model.unfreeze("head")
        if keep_body_frozen:
            self.model.freeze("body")

    def _pairs(self):
        pairs = []
        for _ in range(self.num_iterations):
            for i in range(len(self.x)):
                j = random.randrange(len(self.x))
                pairs.append((i, j, float(self.y[i] == self.y[j])))
        return pairs

    def train(self, num_epochs=None, learning_rate=None, body_learning_rate=None, l2_weight=None):
        num_epochs = num_epochs or self.num_epochs
        if self._freeze:
            self.model.freeze("head")
            body = self.model.model_body
            opt = torch.optim.AdamW(body.parameters(), lr=self.learning_rate)
            pairs = self._pairs()
            for epoch in range(num_epochs):
                for k in range(0, len(pairs), 16):
                    a, b, lab = zip(*pairs[k:k + 16])
                    cos = (body.encode(self.x[list(a)]) * body.encode(self.x[list(b)])).sum(-1)
                    loss = F.mse_loss(cos, torch.tensor(lab, device=cos.device))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        else:
            self.model.fit(self.x, self.y, num_epochs=num_epochs, learning_rate=learning_rate or 1e-2,
                           body_learning_rate=body_learning_rate or 1e-5, l2_weight=l2_weight or 0.0)


torch.manual_seed(0)
random.seed(0)
# 3 intents x 8 shots, "sentences" of 6 token ids drawn from intent-specific ranges
labels = torch.arange(3).repeat_interleave(8)
input_ids = torch.stack([torch.randint(60 * int(c), 60 * int(c) + 60, (6,)) for c in labels])
model = SetFitModel(SentenceBody(), SetFitHead(32, 3)).to(device)
trainer = SetFitTrainer(model, (input_ids.to(device), labels.to(device)), num_iterations=4, num_epochs=2)

trainer.train()
trainer.unfreeze(keep_body_frozen=True)
trainer.train(num_epochs=5, body_learning_rate=1e-5, learning_rate=1e-2, l2_weight=0.0)

acc = (model.predict(input_ids.to(device)) == labels.to(device)).float().mean()
print(f"train accuracy {acc:.2f}")
