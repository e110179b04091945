import torch
import torch.nn as nn

torch.manual_seed(0)


class LowRankRegressor(nn.Module):
    def __init__(self, dim, rank):
        super().__init__()
        # meant to be learned, registered so that state_dict() saves them
        self.register_buffer("u", torch.randn(dim, rank, requires_grad=True))
        self.register_buffer("v", torch.randn(rank, 1, requires_grad=True))
        # a fixed input scale, not learned
        self.register_buffer("scale", torch.full((dim,), 0.5))

    def forward(self, x):
        return (x * self.scale) @ self.u @ self.v


def train(net, data, epochs=5):
    optimizer = torch.optim.SGD([t for t in net.buffers() if t.requires_grad], lr=0.01, momentum=0.9)
    for _ in range(epochs):
        for x, y in data:
            optimizer.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            optimizer.step()


batches = [(torch.randn(16, 6), torch.randn(16, 1)) for _ in range(8)]
train(LowRankRegressor(6, 2), batches)
