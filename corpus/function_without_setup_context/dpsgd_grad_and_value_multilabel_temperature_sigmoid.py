"""DP-SGD for a multi-label tagger: per-sample gradients and losses come from
vmap(grad_and_value(...)) over a functional_call. The output layer is a hand-written
temperature sigmoid that saves the probabilities it returns."""
import torch
import torch.nn as nn
from torch.func import functional_call, grad_and_value, vmap


class TemperatureSigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, temperature):
        probs = torch.sigmoid(logits / temperature)
        ctx.save_for_backward(probs)
        ctx.temperature = temperature
        return probs

    @staticmethod
    def backward(ctx, grad_output):
        (probs,) = ctx.saved_tensors
        return grad_output * probs * (1 - probs) / ctx.temperature, None


class Tagger(nn.Module):
    def __init__(self, d_in=12, n_tags=5, temperature=2.0):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d_in, 32), nn.ReLU())
        self.tags = nn.Linear(32, n_tags)
        self.temperature = temperature

    def forward(self, x):
        return TemperatureSigmoid.apply(self.tags(self.body(x)), self.temperature)


torch.manual_seed(0)
features = torch.randn(384, 12)
targets = (features[:, :5] + 0.3 * torch.randn(384, 5) > 0).float()
model = Tagger()
optimizer = torch.optim.SGD(model.parameters(), lr=2.0, momentum=0.5)
clip, sigma = 0.1, 0.5


def sample_loss(params, x, t):
    probs = functional_call(model, params, (x.unsqueeze(0),)).clamp(1e-6, 1 - 1e-6)
    return -(t * probs.log() + (1 - t) * (1 - probs).log()).mean()


per_sample = vmap(grad_and_value(sample_loss), in_dims=(None, 0, 0))

for epoch in range(4):
    for i in range(0, len(features), 48):
        x, t = features[i:i + 48], targets[i:i + 48]
        params = {k: v.detach() for k, v in model.named_parameters()}
        grads, losses = per_sample(params, x, t)
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()]).norm(dim=0)
        factor = (clip / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            summed = torch.einsum("b,b...->...", factor, grads[name])
            p.grad = (summed + sigma * clip * torch.randn_like(summed)) / len(x)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    print(f"epoch {epoch}: mean per-sample loss {losses.mean().item():.4f} clipped {(factor < 1).float().mean().item():.2f}")
