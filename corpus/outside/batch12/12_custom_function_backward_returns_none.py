# Report: https://github.com/pytorch/pytorch/issues/45405
# "why the following autograd.grad() return None?" -- a custom autograd.Function recomputes its
# output inside backward() from the saved tensors and asks torch.autograd.grad for the input
# gradients. Inside backward there is no graph, so both gradients are None and the weight of the
# layer built on this Function never changes.
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class func(torch.autograd.Function):
    """Per-sample weighted sum: out[n] = sum_j x0[n, j] * w[j]."""

    @staticmethod
    def forward(ctx, x0, w):
        out = torch.sum(x0 * w, dim=1)
        ctx.save_for_backward(w, x0)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        w, x0 = ctx.saved_tensors
        out = torch.sum(x0 * w, dim=1)
        out.requires_grad = True
        x0.requires_grad = True
        w.requires_grad = True
        dfdx = torch.autograd.grad(outputs=out, inputs=x0, grad_outputs=grad_output, allow_unused=True)
        dfdw = torch.autograd.grad(outputs=out, inputs=w, grad_outputs=grad_output, allow_unused=True)
        return dfdx[0], dfdw[0]


class WeightedSum(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.w = nn.Parameter(torch.rand(in_features))

    def forward(self, x):
        return func.apply(x, self.w)


class Net(nn.Module):
    def __init__(self, in_features=6):
        super().__init__()
        self.layer = WeightedSum(in_features)
        self.calib = nn.Linear(1, 1)

    def forward(self, x):
        return self.calib(self.layer(x).unsqueeze(1)).squeeze(1)


true_w = torch.tensor([0.5, -1.0, 2.0, 0.0, 1.5, -0.5])
data = torch.rand(128, 6)
gt = data @ true_w + 5

net = Net().to(device)
optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
for epoch in range(50):
    x = data.clone().to(device)
    out = net(x)
    loss = ((out - gt.to(device)) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")
