"""Binary few-shot classification of 1-D signals with MAML, organised as a trainer class.

``allow_unused=True`` was added when the inner loop raised "appears to not have been used in the
graph"; the gradients it then returns are None and the weights are kept as they are."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class SignalNet(nn.Module):
    def __init__(self, length=32, hidden=48):
        super().__init__()
        self.conv = nn.Conv1d(1, 6, kernel_size=5, padding=2)
        self.fc = nn.Linear(6 * length, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, fast_weights=None):
        w = fast_weights if fast_weights is not None else dict(self.named_parameters())
        h = F.relu(F.conv1d(x.unsqueeze(1), w["conv.weight"], w["conv.bias"], padding=2))
        h = F.relu(F.linear(h.flatten(1), w["fc.weight"], w["fc.bias"]))
        return F.linear(h, w["out.weight"], w["out.bias"]).squeeze(-1)


class MAMLTrainer:
    def __init__(self, model, inner_lr=0.05, inner_steps=3):
        self.model = model
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.meta_opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def adapt(self, x, y):
        weights = dict(self.model.named_parameters())
        for _ in range(self.inner_steps):
            loss = F.binary_cross_entropy_with_logits(self.model(x, fast_weights=weights), y)
            grads = torch.autograd.grad(loss, list(weights.values()), create_graph=True, allow_unused=True)
            weights = {
                name: w if g is None else w - self.inner_lr * g
                for (name, w), g in zip(weights.items(), grads)
            }
        return weights

    def meta_step(self, tasks):
        self.meta_opt.zero_grad()
        losses = []
        for xs, ys, xq, yq in tasks:
            weights = self.adapt(xs, ys)
            losses.append(F.binary_cross_entropy_with_logits(self.model(xq, fast_weights=weights), yq))
        loss = torch.stack(losses).mean()
        loss.backward()
        self.meta_opt.step()
        return loss.item()


def signal_task(n=16, length=32):
    """Positive class: a sine of the task's frequency; negative: noise."""
    freq = torch.empty(1).uniform_(1.0, 4.0)
    t = torch.linspace(0, 6.28, length)
    y = (torch.rand(2 * n) > 0.5).float()
    x = 0.5 * torch.randn(2 * n, length) + y[:, None] * torch.sin(freq * t)
    return x[:n], y[:n], x[n:], y[n:]


if __name__ == "__main__":
    torch.manual_seed(5)
    trainer = MAMLTrainer(SignalNet())
    for it in range(30):
        loss = trainer.meta_step([signal_task() for _ in range(4)])
        if it % 10 == 0:
            print(f"meta-iteration {it}: query loss {loss:.3f}")
