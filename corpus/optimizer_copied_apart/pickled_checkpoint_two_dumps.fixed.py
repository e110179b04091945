# A checkpoint round trip through pickle: the model and the optimizer are pickled in two calls,
# so the restored optimizer holds copies of the weights, not the restored model's parameters.
import pickle

import torch
import torch.nn as nn

torch.manual_seed(0)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 12)
        self.out = nn.Linear(12, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(x)))


def train(model, optimizer, data, target, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(data) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
    return loss.item()


data, target = torch.randn(32, 4), torch.randn(32, 1)
model = Regressor()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
print("first half", train(model, optimizer, data, target, 10))

checkpoint = {"model": pickle.dumps(model), "optimizer": pickle.dumps(optimizer)}

restored_model = pickle.loads(checkpoint["model"])
restored_optimizer = pickle.loads(checkpoint["optimizer"])
rebuilt_optimizer = type(restored_optimizer)(restored_model.parameters(), **restored_optimizer.defaults)
rebuilt_optimizer.load_state_dict(restored_optimizer.state_dict())
restored_optimizer = rebuilt_optimizer
print("second half", train(restored_model, restored_optimizer, data, target, 10))
