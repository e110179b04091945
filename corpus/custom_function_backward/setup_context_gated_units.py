"""A gated linear unit as a torch 2 style Function (forward without ctx, setup_context) with a
temperature hyper-parameter."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SoftGate(torch.autograd.Function):
    @staticmethod
    def forward(x, gate, temperature):
        return x * torch.sigmoid(gate / temperature)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, gate, temperature = inputs
        ctx.save_for_backward(x, gate)
        ctx.temperature = temperature

    @staticmethod
    def backward(ctx, grad_output):
        x, gate = ctx.saved_tensors
        s = torch.sigmoid(gate / ctx.temperature)
        dx = grad_output * s
        dgate = grad_output * x * s * (1 - s) / ctx.temperature


class GLUBlock(nn.Module):
    def __init__(self, dim, temperature=1.0):
        super().__init__()
        self.value = nn.Linear(dim, dim)
        self.gate = nn.Linear(dim, dim)
        self.temperature = temperature

    def forward(self, x):
        return x + SoftGate.apply(self.value(x), self.gate(x), self.temperature)


class TextClassifier(nn.Module):
    def __init__(self, vocab=100, dim=32, classes=5):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.blocks = nn.Sequential(GLUBlock(dim), GLUBlock(dim, temperature=2.0))
        self.fc = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.fc(self.blocks(self.embed(tokens)))


def train(model, batches, epochs=3):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        for tokens, labels in batches:
            loss = F.cross_entropy(model(tokens), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    torch.manual_seed(0)
    batches = [(torch.randint(0, 100, (16, 12)), torch.randint(0, 5, (16,))) for _ in range(10)]
    train(TextClassifier(), batches)
