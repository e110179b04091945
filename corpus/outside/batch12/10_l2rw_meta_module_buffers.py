# Report: https://github.com/danieltan07/learning-to-reweight-examples/issues/6
# The MetaModule layers register their weights with register_buffer (so they can be swapped for
# functional "fast" weights); model.parameters() is therefore empty and building the optimizer
# raises "ValueError: optimizer got an empty parameter list". Answer: use model.params().
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
args = {"lr": 1e-2, "momentum": 0.9, "steps": 30, "batch": 32}


def to_var(x, requires_grad=True):
    return x.clone().to(device).requires_grad_(requires_grad)


class MetaModule(nn.Module):
    def params(self):
        for _, p in self.named_params(self):
            yield p

    def named_leaves(self):
        return []

    def named_params(self, curr_module, prefix=""):
        for name, p in curr_module.named_leaves():
            yield prefix + ("." if prefix else "") + name, p
        for mname, module in curr_module.named_children():
            yield from self.named_params(module, prefix + ("." if prefix else "") + mname)

    def update_params(self, lr_inner, source_params):
        for (name, _), grad in zip(list(self.named_params(self)), source_params):
            module = self
            *path, leaf = name.split(".")
            for part in path:
                module = getattr(module, part)
            setattr(module, leaf, getattr(module, leaf) - lr_inner * grad)


class MetaLinear(MetaModule):
    def __init__(self, *args, **kwargs):
        super().__init__()
        ignore = nn.Linear(*args, **kwargs)
        self.register_buffer("weight", to_var(ignore.weight.data, requires_grad=True))
        self.register_buffer("bias", to_var(ignore.bias.data, requires_grad=True))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def named_leaves(self):
        return [("weight", self.weight), ("bias", self.bias)]


class LeNet(MetaModule):
    def __init__(self, n_out=1):
        super().__init__()
        self.fc1 = MetaLinear(20, 64)
        self.fc2 = MetaLinear(64, 32)
        self.fc3 = MetaLinear(32, n_out)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x))))).squeeze(-1)


def build_model():
    model = LeNet(n_out=1).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args["lr"], momentum=args["momentum"])
    return model, optimizer


x_train = torch.randn(320, 20)
y_train = (x_train[:, 0] > 0).float()
y_train[:32] = 1 - y_train[:32]  # noisy labels
x_val = torch.randn(64, 20)
y_val = (x_val[:, 0] > 0).float()

net, opt = build_model()
for step in range(args["steps"]):
    i = (step * args["batch"]) % 320
    image, labels = x_train[i:i + args["batch"]].to(device), y_train[i:i + args["batch"]].to(device)
    # meta step: weight examples by their effect on the clean validation loss
    meta_net = LeNet(n_out=1).to(device)
    meta_net.load_state_dict(net.state_dict())
    eps = torch.zeros(image.shape[0], device=device, requires_grad=True)
    cost = F.binary_cross_entropy_with_logits(meta_net(image), labels, reduction="none")
    grads = torch.autograd.grad((cost * eps).sum(), list(meta_net.params()), create_graph=True)
    meta_net.update_params(args["lr"], source_params=grads)
    l_g_meta = F.binary_cross_entropy_with_logits(meta_net(x_val.to(device)), y_val.to(device))
    grad_eps = torch.autograd.grad(l_g_meta, eps, only_inputs=True)[0]
    w = torch.clamp(-grad_eps, min=0)
    w = w / w.sum() if w.sum() > 0 else w
    # actual update with the example weights
    cost = F.binary_cross_entropy_with_logits(net(image), labels, reduction="none")
    l_f = (cost * w).sum()
    opt.zero_grad()
    l_f.backward()
    opt.step()
    if step % 10 == 0:
        print(f"step {step} weighted loss {l_f.item():.4f}")
