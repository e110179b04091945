# A linear probe on conv features written as a Function taking (weight, features): forward flattens
# the [B, C, H, W] feature maps; backward returns the features' gradient flattened, at index 1.
import torch
import torch.nn as nn


class ProbeFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, weight, features):
        ctx.features_shape = features.shape
        flat = features.flatten(1)
        ctx.save_for_backward(weight, flat)
        return flat @ weight.t()

    @staticmethod
    def backward(ctx, grad_logits):
        weight, flat = ctx.saved_tensors
        grad_weight = grad_logits.t() @ flat
        grad_features = grad_logits @ weight
        return grad_weight, grad_features.reshape(ctx.features_shape)


conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())
probe_weight = nn.Parameter(torch.zeros(10, 4 * 8 * 8))
optimizer = torch.optim.SGD([*conv.parameters(), probe_weight], lr=0.05)


def epoch(images, labels):
    for i in range(0, len(images), 16):
        logits = ProbeFn.apply(probe_weight, conv(images[i : i + 16]))
        loss = nn.functional.cross_entropy(logits, labels[i : i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


torch.manual_seed(3)
images = torch.randn(64, 3, 8, 8)
labels = torch.randint(0, 10, (64,))
for e in range(10):
    print(e, epoch(images, labels))
