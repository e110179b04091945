# A sequence tagger whose feed-forward layer is a hand-written Function: forward saves its [B, T, C]
# input and works on it flattened to 2-D; backward computes the input's gradient in that 2-D shape.
import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenLinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        flat = x.reshape(-1, x.shape[-1])
        return flat.mm(weight.t()).reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        grad_x = g.mm(weight)
        grad_weight = g.t().mm(x.reshape(-1, x.shape[-1]))
        return grad_x.reshape(x.shape), grad_weight


class Tagger(nn.Module):
    def __init__(self, vocab=40, dim=24, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.proj = nn.Parameter(torch.randn(dim, dim) * 0.1)
        self.out = nn.Linear(dim, tags)

    def forward(self, tokens):
        h = torch.tanh(TokenLinearFn.apply(self.embed(tokens), self.proj))
        return self.out(h)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def train_step(self, tokens, tags):
        logits = self.model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


torch.manual_seed(0)
trainer = Trainer(Tagger())
for step in range(100):
    tokens = torch.randint(0, 40, (8, 10))
    print(step, trainer.train_step(tokens, tokens % 5))
