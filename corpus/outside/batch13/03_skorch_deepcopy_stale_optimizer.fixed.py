# Reproduction modelled on: https://github.com/skorch-dev/skorch/issues/317
# FIXED VERSION: module_ and optimizer_ are pickled together in one torch.save call, so the copy's optimizer references the copy's parameters (skorch PR #318).
# "module weights don't update after copy.deepcopy": the wrapper pickles each
# device-dependent attribute (module_, optimizer_) in its own torch.save buffer, so after a
# deepcopy (as sklearn's clone / grid search do) the optimizer_ of the copy holds its own
# copies of the parameters instead of the copy's module_ parameters. partial_fit on the copy
# then steps tensors nobody uses and the copy's module_ never changes.
import copy
import tempfile

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
np.random.seed(0)


def get_data(n, d):
    rng = np.random.RandomState(0)
    X = rng.randn(n, d).astype("float32")
    w = rng.randn(d, 1).astype("float32")
    y = X @ w + 0.1 * rng.randn(n, 1).astype("float32")
    y -= y.min()
    y /= y.max()
    return X, y.astype("float32")


class Simple(nn.Module):
    def __init__(self, d=64):
        super().__init__()
        self.simple = nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid())

    def forward(self, x):
        return self.simple(x)


class NeuralNetRegressor:
    """Very small stand-in for skorch.NeuralNet (initialize / partial_fit / pickling)."""
    cuda_dependent_attributes_ = ["module_", "optimizer_"]

    def __init__(self, module, criterion=nn.MSELoss, optimizer=torch.optim.SGD, lr=0.1,
                 max_epochs=3, batch_size=32, device="cpu"):
        self.module, self.criterion, self.optimizer = module, criterion, optimizer
        self.lr, self.max_epochs, self.batch_size, self.device = lr, max_epochs, batch_size, device
        self.history = []

    def initialize(self):
        self.module_ = self.module().to(self.device)
        self.criterion_ = self.criterion()
        self.optimizer_ = self.optimizer(self.module_.parameters(), lr=self.lr)
        return self

    def train_step(self, Xi, yi):
        self.module_.train()
        self.optimizer_.zero_grad()
        loss = self.criterion_(self.module_(Xi), yi)
        loss.backward()
        self.optimizer_.step()
        return loss.item()

    def partial_fit(self, X, y):
        X, y = torch.as_tensor(X).to(self.device), torch.as_tensor(y).to(self.device)
        for epoch in range(self.max_epochs):
            losses = [self.train_step(X[i:i + self.batch_size], y[i:i + self.batch_size])
                      for i in range(0, len(X), self.batch_size)]
            self.history.append(float(np.mean(losses)))
        return self

    # -- pickling: every CUDA dependent attribute goes through torch.save so that it can be
    #    loaded on a machine without a GPU (map_location) --
    def __getstate__(self):
        state = self.__dict__.copy()
        cuda_attrs = {}
        for key in self.cuda_dependent_attributes_:
            if key in state:
                cuda_attrs[key] = state.pop(key)
        with tempfile.SpooledTemporaryFile() as f:
            torch.save(cuda_attrs, f)
            f.seek(0)
            state["__cuda_dependent_attributes__"] = f.read()
        return state

    def __setstate__(self, state):
        map_location = "cuda" if torch.cuda.is_available() else "cpu"
        with tempfile.SpooledTemporaryFile() as f:
            f.write(state.pop("__cuda_dependent_attributes__"))
            f.seek(0)
            state.update(torch.load(f, map_location=map_location, weights_only=False))
        self.__dict__.update(state)


def first_params(net):
    return next(net.module_.parameters()).detach().flatten()[:3].tolist()


X, y = get_data(256, 64)
n1 = NeuralNetRegressor(module=Simple).initialize()
n1.partial_fit(X, y)
print("n1 first params =", first_params(n1), "loss history", n1.history)

# model selection code clones the fitted estimator and keeps training the clone
n2 = copy.deepcopy(n1)
print("n2 first params =", first_params(n2))
n2.partial_fit(X, y)
print("n2 first params after partial_fit =", first_params(n2), "loss history", n2.history)
