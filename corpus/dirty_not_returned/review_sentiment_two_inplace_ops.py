"""Review sentiment from a bag of token embeddings. Two in-place ops from the team's kernel file:
an RMS norm that keeps a running RMS for the dashboard, and a clip that counts saturated units."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, SEQ, N_DOCS = 500, 48, 40, 1600
torch.manual_seed(4)


class RMSNorm_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gain, running_rms, momentum):
        rms = x.pow(2).mean(-1, keepdim=True).add(1e-6).sqrt()
        running_rms.mul_(1 - momentum).add_(momentum * rms.mean())
        x.div_(rms)
        ctx.save_for_backward(x.clone(), gain, rms)
        x.mul_(gain)
        ctx.mark_dirty(x, running_rms)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        xhat, gain, rms = ctx.saved_tensors
        g = grad_out * gain
        grad_x = (g - xhat * (g * xhat).mean(-1, keepdim=True)) / rms
        return grad_x, (grad_out * xhat).sum(0), None, None


class Clip_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bound, saturated):
        inside = x.abs() < bound
        saturated.add_((~inside).sum())
        x.clamp_(-bound, bound)
        ctx.mark_dirty(x, saturated)
        ctx.save_for_backward(inside)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        (inside,) = ctx.saved_tensors
        return grad_out * inside, None, None


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(VOCAB, DIM, mode="mean")
        self.fc = nn.Linear(DIM, DIM)
        self.gain = nn.Parameter(torch.ones(DIM))
        self.out = nn.Linear(DIM, 2)
        self.register_buffer("running_rms", torch.ones(()))
        self.register_buffer("saturated", torch.zeros((), dtype=torch.long))

    def forward(self, tokens):
        h = self.fc(self.embed(tokens))
        h = RMSNorm_.apply(h, self.gain, self.running_rms, 0.05)
        h = Clip_.apply(h, 2.5, self.saturated)
        return self.out(F.silu(h))


def make_reviews():
    polarity = torch.randn(VOCAB) * (torch.rand(VOCAB) < 0.2)
    docs = torch.randint(0, VOCAB, (N_DOCS, SEQ))
    score = polarity[docs].sum(1) + 0.3 * torch.randn(N_DOCS)
    return docs, (score > 0).long()


docs, labels = make_reviews()
train_docs, train_labels = docs[:1300], labels[:1300]
test_docs, test_labels = docs[1300:], labels[1300:]
model = BagClassifier()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)


def test_accuracy():
    model.eval()
    with torch.no_grad():
        acc = (model(test_docs).argmax(1) == test_labels).float().mean().item()
    model.train()
    return acc


print(f"accuracy before training: {test_accuracy():.3f}")
for epoch in range(5):
    perm = torch.randperm(len(train_docs))
    for i in range(0, len(perm), 100):
        idx = perm[i:i + 100]
        loss = F.cross_entropy(model(train_docs[idx]), train_labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}  test acc {test_accuracy():.3f}  "
          f"running rms {model.running_rms.item():.2f}  saturated {int(model.saturated)}")
