# Prompt tuning of a frozen text classifier: the learned context is drawn as one flat vector, made
# trainable, and reshaped into context tokens afterwards.
import torch
import torch.nn as nn


class FrozenClassifier(nn.Module):
    def __init__(self, vocab=100, dim=24, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.encoder = nn.GRU(dim, dim, batch_first=True)
        self.head = nn.Linear(dim, classes)

    def forward(self, context, tokens):
        words = self.embed(tokens)
        ctx = context.unsqueeze(0).expand(tokens.shape[0], -1, -1)
        _, h = self.encoder(torch.cat([ctx, words], dim=1))
        return self.head(h[-1])


class PromptLearner:
    def __init__(self, model, n_ctx=4):
        self.model = model.requires_grad_(False)
        dim = model.embed.embedding_dim
        self.ctx = torch.empty(n_ctx * dim).normal_(std=0.02)
        self.ctx.requires_grad_()
        self.ctx = self.ctx.view(n_ctx, dim)
        self.optimizer = torch.optim.SGD([dict(params=[self.ctx], lr=0.5)], momentum=0.9)

    def step(self, tokens, labels):
        loss = nn.functional.cross_entropy(self.model(self.ctx, tokens), labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
tokens = torch.randint(0, 100, (48, 10))
labels = tokens[:, 0] % 3
learner = PromptLearner(FrozenClassifier())
for it in range(12):
    print(f"iter {it}: loss {learner.step(tokens, labels):.4f}")
