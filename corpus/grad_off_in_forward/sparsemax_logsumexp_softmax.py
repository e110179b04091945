# A text classifier whose attention weights come from a custom Function: the softmax is taken as
# the gradient of a temperature-scaled logsumexp, and backward applies the softmax's Jacobian.
import torch
import torch.nn as nn
import torch.nn.functional as F


class GradSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, scores, temperature):
        leaf = scores.detach().requires_grad_()
        log_partition = (temperature * torch.logsumexp(leaf / temperature, dim=-1)).sum()
        (probs,) = torch.autograd.grad(log_partition, leaf)
        ctx.save_for_backward(probs)
        ctx.temperature = temperature
        return probs

    @staticmethod
    def backward(ctx, grad_probs):
        (probs,) = ctx.saved_tensors
        inner = (grad_probs * probs).sum(-1, keepdim=True)
        return probs * (grad_probs - inner) / ctx.temperature, None


class AttentionPool(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.score = nn.Linear(dim, 1)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.embed(tokens)
        weights = GradSoftmax.apply(self.score(h).squeeze(-1), 0.5)
        return self.out((weights.unsqueeze(-1) * h).sum(1))


def batches(n, length=12, vocab=50):
    for _ in range(n):
        tokens = torch.randint(0, vocab, (16, length))
        yield tokens, (tokens == 7).any(dim=1).long()


torch.manual_seed(0)
model = AttentionPool(50, 32, 2)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step, (tokens, labels) in enumerate(batches(200)):
    loss = F.cross_entropy(model(tokens), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(step, loss.item())
