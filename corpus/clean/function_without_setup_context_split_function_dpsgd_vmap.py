"""DP-SGD with vmap(grad(functional_call)) through a hand-written activation that is already in
torch.func's form: forward without ctx, setup_context saving what backward needs, and
generate_vmap_rule = True. It trains."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap


class ScaledTanh(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x, scale):
        output = scale * torch.tanh(x * (2.0 / 3.0))
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, scale = inputs
        ctx.save_for_backward(output)
        ctx.scale = scale

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return grad_output * (2.0 / 3.0) * (ctx.scale - output * output / ctx.scale), None


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        return self.fc2(ScaledTanh.apply(self.fc1(x), 1.7159))


torch.manual_seed(0)
x_all = torch.randn(256, 10)
y_all = (x_all[:, :3].argmax(1) + (x_all[:, 3] > 1).long()) % 3
model = MLP()
optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
max_norm, noise_multiplier = 1.0, 0.3


def sample_loss(params, x, y):
    logits = functional_call(model, params, (x.unsqueeze(0),))
    return F.cross_entropy(logits, y.unsqueeze(0))


per_sample_grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))

for epoch in range(4):
    for i in range(0, len(x_all), 64):
        x, y = x_all[i:i + 64], y_all[i:i + 64]
        params = {k: v.detach() for k, v in model.named_parameters()}
        grads = per_sample_grads(params, x, y)
        norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
        factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            clipped = (grads[name] * factor.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
            noise = torch.randn_like(clipped) * noise_multiplier * max_norm
            p.grad = (clipped + noise) / len(x)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        loss = F.cross_entropy(model(x_all), y_all).item()
    print(f"epoch {epoch}: loss {loss:.4f}")
