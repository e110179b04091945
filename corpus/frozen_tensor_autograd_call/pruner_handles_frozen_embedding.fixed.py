"""Sentiment classifier with a pretrained (frozen) word embedding, pruned while fine-tuning.

The pruner keeps one mask and one gradient hook per prunable weight, side by side.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM, CLASSES = 200, 32, 3


class TextCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, DIM)
        self.conv = nn.Conv1d(DIM, 48, 3, padding=1)
        self.out = nn.Linear(48, CLASSES)

    def forward(self, tokens):
        h = self.embedding(tokens).transpose(1, 2)
        h = F.relu(self.conv(h)).max(dim=-1).values
        return self.out(h)


class MagnitudePruner:
    def __init__(self, model, amount=0.3):
        self.amount = amount
        self.params = [p for p in model.parameters() if p.dim() > 1]
        self.masks = [torch.ones_like(p) for p in self.params]
        self.handles = []
        for p in self.params:
            if p.requires_grad:
                self.handles.append(p.register_hook(self._masker(len(self.handles))))
            else:
                self.handles.append(None)

    def _masker(self, index):
        def hook(grad):
            return grad * self.masks[index]
        return hook

    @torch.no_grad()
    def prune(self):
        for index, (p, handle) in enumerate(zip(self.params, self.handles)):
            threshold = p.abs().flatten().kthvalue(max(1, int(self.amount * p.numel()))).values
            self.masks[index] = (p.abs() > threshold).float()
            p.mul_(self.masks[index])


model = TextCNN()
model.embedding.weight.data.copy_(torch.randn(VOCAB, DIM) * 0.5)  # the pretrained vectors
model.embedding.weight.requires_grad = False
pruner = MagnitudePruner(model)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)

tokens = torch.randint(0, VOCAB, (64, 20))
labels = tokens[:, 0] % CLASSES
for epoch in range(3):
    pruner.prune()
    for i in range(0, 64, 16):
        loss = F.cross_entropy(model(tokens[i:i + 16]), labels[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
