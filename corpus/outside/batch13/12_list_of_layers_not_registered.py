# Reproduction modelled on: https://github.com/pytorch/pytorch/issues/666
# "nn.Module not importing parameters contained in lists": the number of hidden layers is a
# constructor argument and the layers are stored in a plain Python list
# (self.list_of_layers = [nn.Linear(...) for i in range(num_layers)]). They are used in
# forward but never registered, so the optimizer built from net.parameters() skips them.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

opts = {"n_in": 20, "n_hid": 32, "num_layers": 3, "n_out": 1, "lr": 1e-3, "epochs": 12, "batch": 64}


class net(nn.Module):
    def __init__(self, num_layers, n_in, n_hid, n_out):
        super(net, self).__init__()
        self.layer = nn.Linear(n_in, n_hid)
        self.list_of_layers = [nn.Linear(n_hid, n_hid) for i in range(num_layers)]
        self.out = nn.Linear(n_hid, n_out)

    def forward(self, x):
        h = F.relu(self.layer(x))
        for lin in self.list_of_layers:
            h = F.relu(lin(h)) + h
        return self.out(h)


def synthetic_regression(n=256, d=20, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype("float32")
    y = np.sin(X[:, :3].sum(1, keepdims=True)) + 0.1 * rng.randn(n, 1)
    return torch.tensor(X), torch.tensor(y.astype("float32"))


def fit(model, X, y, o):
    optimizer = torch.optim.Adam(model.parameters(), lr=o["lr"])
    ds = torch.utils.data.TensorDataset(X, y)
    loader = torch.utils.data.DataLoader(ds, batch_size=o["batch"], shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    for epoch in range(o["epochs"]):
        tot = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            tot += loss.item() * len(xb)
        if epoch % 4 == 0:
            print(f"epoch {epoch:3d} mse {tot / len(ds):.4f}")


X, y = synthetic_regression(d=opts["n_in"])
n = net(opts["num_layers"], opts["n_in"], opts["n_hid"], opts["n_out"]).to(device)
print(n)
fit(n, X, y, opts)
