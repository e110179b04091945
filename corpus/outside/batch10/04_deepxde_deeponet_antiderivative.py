"""DeepONet (PyTorch backend, DeepXDE-style) learning the antiderivative operator G(v)(x) = int_0^x v(t) dt.

Aligned/element-wise dataset: each sample is (v at m sensors, one query location x) -> G(v)(x).
"""
import math

import torch

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

CFG = {"m": 32, "n_train": 256, "n_test": 64, "width": 24, "lr": 1e-3,
       "decay": ("step", 50, 0.5), "iterations": 40, "display_every": 10}


def get_activation(name):
    return {"relu": torch.relu, "tanh": torch.tanh, "sin": torch.sin}[name]


def get_initializer(name):
    return {"Glorot normal": torch.nn.init.xavier_normal_, "zeros": torch.nn.init.zeros_}[name]


class NN(torch.nn.Module):
    """Base class for all neural network modules."""

    def __init__(self):
        super().__init__()
        self.regularizer = None
        self._input_transform = None
        self._output_transform = None

    def apply_output_transform(self, transform):
        self._output_transform = transform


class FNN(NN):
    """Fully-connected neural network."""

    def __init__(self, layer_sizes, activation, kernel_initializer):
        super().__init__()
        self.activation = get_activation(activation) if isinstance(activation, str) else activation
        initializer = get_initializer(kernel_initializer)
        initializer_zero = get_initializer("zeros")
        self.linears = torch.nn.ModuleList()
        for i in range(1, len(layer_sizes)):
            self.linears.append(torch.nn.Linear(layer_sizes[i - 1], layer_sizes[i], dtype=torch.float32))
            initializer(self.linears[-1].weight)
            initializer_zero(self.linears[-1].bias)

    def forward(self, inputs):
        x = inputs
        for linear in self.linears[:-1]:
            x = self.activation(linear(x))
        return self.linears[-1](x)


class DeepONet(NN):
    """Deep operator network for dataset in the format of element-wise product."""

    def __init__(self, layer_sizes_branch, layer_sizes_trunk, activation, kernel_initializer):
        super().__init__()
        if isinstance(activation, dict):
            activation_branch = activation["branch"]
            self.activation_trunk = get_activation(activation["trunk"])
        else:
            activation_branch = activation
            self.activation_trunk = get_activation(activation)
        self.branch = FNN(layer_sizes_branch, activation_branch, kernel_initializer)
        self.trunk = FNN(layer_sizes_trunk, self.activation_trunk, kernel_initializer)
        self.b = torch.tensor(0.0, requires_grad=True)

    def forward(self, inputs):
        x_func, x_loc = inputs
        x_func = self.branch(x_func)
        if self._input_transform is not None:
            x_loc = self._input_transform(x_loc)
        x_loc = self.activation_trunk(self.trunk(x_loc))
        if x_func.shape[-1] != x_loc.shape[-1]:
            raise AssertionError("Output sizes of branch net and trunk net do not match.")
        x = torch.einsum("bi,bi->b", x_func, x_loc)
        x = torch.unsqueeze(x, 1)
        x += self.b
        if self._output_transform is not None:
            x = self._output_transform(inputs, x)
        return x


class Triple:
    """Dataset with each data point as a triple (v, x, G(v)(x))."""

    def __init__(self, X_train, y_train, X_test, y_test):
        self.train_x, self.train_y = X_train, y_train
        self.test_x, self.test_y = X_test, y_test

    def losses(self, targets, outputs):
        return [torch.mean((targets - outputs) ** 2)]


class Model:
    def __init__(self, data, net):
        self.data, self.net = data, net
        self.opt = self.lr_scheduler = None

    def compile(self, optimizer, lr, decay=None, metrics=None):
        print("Compiling model...")
        self.opt = {"adam": torch.optim.Adam}[optimizer](self.net.parameters(), lr=lr)
        if decay is not None and decay[0] == "step":
            self.lr_scheduler = torch.optim.lr_scheduler.StepLR(self.opt, step_size=decay[1], gamma=decay[2])
        self.metrics = metrics or []

    def _outputs_losses(self, training, inputs, targets):
        self.net.train(mode=training)
        outputs = self.net(inputs)
        return outputs, self.data.losses(targets, outputs)

    def train(self, iterations, display_every=1000):
        print("Training model...\n")
        for step in range(1, iterations + 1):
            _, losses = self._outputs_losses(True, self.data.train_x, self.data.train_y)
            total_loss = torch.sum(torch.stack(losses))
            self.opt.zero_grad()
            total_loss.backward()
            self.opt.step()
            if self.lr_scheduler is not None:
                self.lr_scheduler.step()
            if step % display_every == 0 or step == iterations:
                with torch.no_grad():
                    _, test_losses = self._outputs_losses(False, self.data.test_x, self.data.test_y)
                print(f"{step:>6d}  train loss {total_loss.item():.3e}  test loss {test_losses[0].item():.3e}")


def antiderivative_data(n, m):
    """Random smooth v(x) on [0, 1]; the label is the antiderivative at a random location."""
    sensors = torch.linspace(0, 1, m)
    k = torch.arange(1, 5, dtype=torch.float32)
    a = torch.randn(n, 4) / k
    v = torch.sin(math.pi * sensors[None, :, None] * k).mul(a[:, None, :]).sum(-1)
    x = torch.rand(n, 1)
    Gv = ((1 - torch.cos(math.pi * x * k)) / (math.pi * k) * a).sum(-1, keepdim=True)
    return (v.to(device), x.to(device)), Gv.to(device)


X_train, y_train = antiderivative_data(CFG["n_train"], CFG["m"])
X_test, y_test = antiderivative_data(CFG["n_test"], CFG["m"])
data = Triple(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)

net = DeepONet([CFG["m"], CFG["width"], CFG["width"]], [1, CFG["width"], CFG["width"]], "relu", "Glorot normal")
net.to(device)
model = Model(data, net)
model.compile("adam", lr=CFG["lr"], decay=CFG["decay"])
model.train(iterations=CFG["iterations"], display_every=CFG["display_every"])
print("learned output bias b =", net.b.item())
