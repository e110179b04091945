"""Spiking CNN (snntorch tutorial 6 style) split into an encoder and a classifier.

The LIF neurons are built with init_hidden=True, so their membrane potential is
kept inside the module between time steps; `utils.reset` clears it before a new
sample is presented.  Minimal snntorch-compatible pieces are defined inline.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"

# ---------------------------------------------------------------- snntorch (subset)
class FastSigmoid(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input_, slope=25):
        ctx.save_for_backward(input_)
        ctx.slope = slope
        return (input_ > 0).float()

    @staticmethod
    def backward(ctx, grad_output):
        (input_,) = ctx.saved_tensors
        return grad_output / (ctx.slope * torch.abs(input_) + 1.0) ** 2, None


class surrogate:
    @staticmethod
    def fast_sigmoid(slope=25):
        return lambda x: FastSigmoid.apply(x, slope)


class Leaky(nn.Module):
    def __init__(self, beta, threshold=1.0, spike_grad=None, init_hidden=False, output=False):
        super().__init__()
        self.beta, self.threshold = beta, threshold
        self.spike_grad = spike_grad or surrogate.fast_sigmoid()
        self.init_hidden, self.output = init_hidden, output
        self.reset_hidden()

    def reset_hidden(self):
        self.mem = torch.zeros(1, device=device)

    def forward(self, input_):
        reset = (self.mem - self.threshold > 0).float().detach()
        self.mem = self.beta * self.mem + input_ - reset * self.threshold
        spk = self.spike_grad(self.mem - self.threshold)
        return (spk, self.mem) if self.output else spk


class utils:
    @staticmethod
    def reset(net):
        """Check for the types of LIF neurons contained in net and reset their hidden parameters."""
        for m in net.modules():
            if isinstance(m, Leaky) and m.init_hidden:
                m.reset_hidden()


class SF:
    @staticmethod
    def ce_rate_loss():
        def loss_fn(spk_out, targets):
            log_p = F.log_softmax(spk_out, dim=-1)
            return torch.stack([F.nll_loss(log_p[t], targets) for t in range(spk_out.size(0))]).mean()
        return loss_fn

    @staticmethod
    def accuracy_rate(spk_out, targets):
        return (spk_out.sum(dim=0).argmax(1) == targets).float().mean().item()


# ---------------------------------------------------------------- network
spike_grad = surrogate.fast_sigmoid(slope=25)
beta = 0.5
num_steps = 8


class SCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 8, 5), nn.MaxPool2d(2),
            Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True),
            nn.Conv2d(8, 16, 5), nn.MaxPool2d(2),
            Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 4 * 4, 10),
            Leaky(beta=beta, spike_grad=spike_grad, init_hidden=True, output=True),
        )

    def forward(self, x):
        return self.classifier(self.encoder(x))


def forward_pass(net, num_steps, data):
    mem_rec = []
    spk_rec = []
    utils.reset(net.encoder)  # resets hidden states for all LIF neurons in net

    for step in range(num_steps):
        spk_out, mem_out = net(data)
        spk_rec.append(spk_out)
        mem_rec.append(mem_out)

    return torch.stack(spk_rec), torch.stack(mem_rec)


torch.manual_seed(0)
g = torch.Generator().manual_seed(0)
images = torch.rand(48, 1, 28, 28, generator=g)
targets_all = torch.randint(0, 10, (48,), generator=g)

net = SCNN().to(device)
optimizer = torch.optim.Adam(net.parameters(), lr=2e-2, betas=(0.9, 0.999))
loss_fn = SF.ce_rate_loss()

num_epochs, batch_size = 1, 16
for epoch in range(num_epochs):
    for i in range(0, images.size(0), batch_size):
        data = images[i:i + batch_size].to(device)
        targets = targets_all[i:i + batch_size].to(device)

        # forward pass
        net.train()
        spk_rec, mem_rec = forward_pass(net, num_steps, data)

        # initialize the loss & sum over time
        loss_val = loss_fn(spk_rec, targets)

        # Gradient calculation + weight update
        optimizer.zero_grad()
        loss_val.backward()
        optimizer.step()

        acc = SF.accuracy_rate(spk_rec, targets)
        print(f"Iteration {i // batch_size}, Train Loss: {loss_val.item():.2f}, Accuracy: {acc * 100:.2f}%")
