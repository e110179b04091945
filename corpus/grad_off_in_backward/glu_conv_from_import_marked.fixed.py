# Text classifier over character ids: a gated conv (GLU) written as a custom Function.
# `out.requires_grad = True` and allow_unused=True were added to get past
# "element 0 of tensors does not require grad"; the loss now goes down only a little.
import torch
from torch import nn
from torch.autograd import Function, grad


class GatedLinearUnit(Function):
    @staticmethod
    def forward(ctx, h, gate):
        ctx.save_for_backward(h, gate)
        return h * torch.sigmoid(gate)

    @staticmethod
    def backward(ctx, grad_output):
        h, gate = ctx.saved_tensors
        with torch.enable_grad():
            h = h.detach().requires_grad_()
            gate = gate.detach().requires_grad_()
            out = h * torch.sigmoid(gate)
        grad_h, grad_gate = grad(
            outputs=out,
            inputs=[h, gate],
            grad_outputs=grad_output,
            allow_unused=True,
        )
        return grad_h, grad_gate


class GatedConvClassifier(nn.Module):
    def __init__(self, vocab=40, dim=24, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.conv = nn.Conv1d(dim, 2 * dim, kernel_size=3, padding=1)
        self.classify = nn.Linear(dim, n_classes)

    def forward(self, ids):
        x = self.embed(ids).transpose(1, 2)
        h, gate = self.conv(x).chunk(2, dim=1)
        x = GatedLinearUnit.apply(h, gate)
        return self.classify(x.max(dim=2).values)


def batches(n_batches, batch=16, length=30):
    for _ in range(n_batches):
        ids = torch.randint(0, 40, (batch, length))
        yield ids, (ids == 7).any(1).long() + (ids == 11).any(1).long()


torch.manual_seed(0)
clf = GatedConvClassifier()
optim = torch.optim.SGD(clf.parameters(), lr=0.1)
for step, (ids, labels) in enumerate(batches(100)):
    loss = nn.functional.cross_entropy(clf(ids), labels)
    optim.zero_grad()
    loss.backward()
    optim.step()
    if step % 20 == 0:
        print(step, loss.item())
