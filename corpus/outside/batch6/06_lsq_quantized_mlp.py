import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class RoundPass(torch.autograd.Function):
    """round() in forward, identity (straight-through) in backward."""

    @staticmethod
    def forward(ctx, x):
        return x.round()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


def grad_scale(x, scale):
    return (x - x * scale).detach() + x * scale


class LsqQuan(nn.Module):
    """Learned Step Size Quantization (Esser et al., 2020)."""

    def __init__(self, bit, all_positive=False):
        super().__init__()
        if all_positive:
            self.thd_neg, self.thd_pos = 0, 2 ** bit - 1
        else:
            self.thd_neg, self.thd_pos = -2 ** (bit - 1), 2 ** (bit - 1) - 1
        self.s = None

    def forward(self, x):
        if self.s is None:
            self.s = nn.Parameter(x.detach().abs().mean() * 2 / (self.thd_pos ** 0.5))
        s_scale = grad_scale(self.s, 1.0 / ((self.thd_pos * x.numel()) ** 0.5))
        x = torch.clamp(x / s_scale, self.thd_neg, self.thd_pos)
        return RoundPass.apply(x) * s_scale


class QuanLinear(nn.Linear):
    def __init__(self, in_features, out_features, bit=4, act_positive=True):
        super().__init__(in_features, out_features)
        self.quan_w = LsqQuan(bit)
        self.quan_a = LsqQuan(bit, all_positive=act_positive)

    def forward(self, x):
        return F.linear(self.quan_a(x), self.quan_w(self.weight), self.bias)


class QuantMLP(nn.Module):
    def __init__(self, d_in=32, hidden=64, n_classes=6):
        super().__init__()
        self.fc1 = QuanLinear(d_in, hidden, act_positive=False)
        self.fc2 = QuanLinear(hidden, hidden)
        self.classifier = nn.Linear(hidden, n_classes)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.classifier(x)


# synthetic dataset: labels from a random two-layer teacher network
w_t1, w_t2 = torch.randn(32, 48) / 32 ** 0.5, torch.randn(48, 6)
x_train = torch.randn(2048, 32)
y_train = (torch.tanh(x_train @ w_t1) @ w_t2).argmax(1)

model = QuantMLP().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

for epoch in range(6):
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 128):
        idx = perm[i:i + 128]
        logits = model(x_train[idx].to(device))
        loss = F.cross_entropy(logits, y_train[idx].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    with torch.no_grad():
        acc = (model(x_train.to(device)).argmax(1).cpu() == y_train).float().mean().item()
    print(f"epoch {epoch} loss {loss.item():.3f} acc {acc:.3f}")
