"""Network intrusion detection on flow records (synthetic: packet counts, byte rates, flags).
Heavy-tailed flow features are winsorised in place after the input projection; a small monitor
object carries the clip counters that the training loop logs."""
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)

N_FLOWS = 3000
N_FEATURES = 16
HIDDEN = 64
CLIP = 3.0


@dataclass
class ClipMonitor:
    hits: torch.Tensor = field(default_factory=lambda: torch.zeros((), dtype=torch.long))
    seen: torch.Tensor = field(default_factory=lambda: torch.zeros((), dtype=torch.long))

    def rate(self):
        return self.hits.item() / max(self.seen.item(), 1)


class Winsorize_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, bound, monitor):
        keep = x.abs() <= bound
        monitor.hits.add_((~keep).sum())
        monitor.seen.add_(x.numel())
        x.clamp_(-bound, bound)
        ctx.mark_dirty(x)
        ctx.save_for_backward(keep)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        (keep,) = ctx.saved_tensors
        return grad_out * keep, None, None


class FlowClassifier(nn.Module):
    def __init__(self, monitor):
        super().__init__()
        self.monitor = monitor
        self.inp = nn.Linear(N_FEATURES, HIDDEN)
        self.hidden = nn.Linear(HIDDEN, HIDDEN)
        self.out = nn.Linear(HIDDEN, 2)

    def forward(self, flows):
        h = Winsorize_.apply(self.inp(flows), CLIP, self.monitor)
        h = F.relu(self.hidden(F.relu(h)))
        return self.out(h)


def make_flows():
    attack = torch.rand(N_FLOWS) < 0.3
    base = torch.randn(N_FLOWS, N_FEATURES)
    heavy = torch.distributions.LogNormal(0.0, 1.2).sample((N_FLOWS, 4))
    base[:, :4] = heavy.log1p() * 3
    base[attack, 4:8] += 1.5
    base[attack, :2] *= 1.8
    return base, attack.long()


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(-1)
    model.train()
    tp = ((pred == 1) & (y == 1)).sum().item()
    return tp / max((pred == 1).sum().item(), 1), tp / max((y == 1).sum().item(), 1)


x, y = make_flows()
x_train, y_train, x_test, y_test = x[:2400], y[:2400], x[2400:], y[2400:]
monitor = ClipMonitor()
model = FlowClassifier(monitor)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
print("precision/recall before: %.3f / %.3f" % evaluate(model, x_test, y_test))

for epoch in range(5):
    for idx in torch.randperm(len(x_train)).split(100):
        loss = F.cross_entropy(model(x_train[idx]), y_train[idx], weight=torch.tensor([1.0, 2.0]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    precision, recall = evaluate(model, x_test, y_test)
    print(f"epoch {epoch}: loss {loss.item():.3f}  precision {precision:.3f}  recall {recall:.3f}  clip rate {monitor.rate():.4f}")
