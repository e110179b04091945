# Pattern: https://arxiv.org/abs/1308.3432
# Look-alike (correct): quantization-aware training rounds weights and activations with
# torch.round inside a custom autograd.Function whose backward is the straight-through estimator
# (the gradient passes unchanged, clipped to the quantization range). The rounding looks like a
# dead end for the gradient, but the float weights keep training.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {"bits": 4, "lr": 1e-3, "epochs": 4, "batches": 10, "batch_size": 32}


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale, qmax):
        ctx.save_for_backward(x)
        ctx.limit = qmax * scale
        return torch.round(x / scale).clamp(-qmax - 1, qmax) * scale

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        mask = (x.abs() <= ctx.limit).to(grad_output.dtype)
        return grad_output * mask, None, None


class QConv2d(nn.Conv2d):
    def __init__(self, *args, bits=4, **kwargs):
        super().__init__(*args, **kwargs)
        self.qmax = 2 ** (bits - 1) - 1

    def forward(self, x):
        scale = self.weight.detach().abs().max() / self.qmax
        w_q = RoundSTE.apply(self.weight, scale, self.qmax)
        return F.conv2d(x, w_q, self.bias, self.stride, self.padding)


class QNet(nn.Module):
    def __init__(self, bits):
        super().__init__()
        self.conv1 = QConv2d(1, 16, 3, padding=1, bits=bits)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = QConv2d(16, 32, 3, padding=1, bits=bits)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


model = QNet(config["bits"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])
protos = torch.randn(10, 1, 16, 16)
for epoch in range(config["epochs"]):
    for _ in range(config["batches"]):
        y = torch.randint(0, 10, (config["batch_size"],))
        x = (protos[y] + 0.5 * torch.randn(config["batch_size"], 1, 16, 16)).to(device)
        loss = F.cross_entropy(model(x), y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
