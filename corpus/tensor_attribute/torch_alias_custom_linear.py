import torch as T


class MyLinear(T.nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = T.nn.Parameter(T.randn(out_features, in_features) * 0.1)
        self.bias = T.zeros(out_features, requires_grad=True)

    def forward(self, x):
        return x @ self.weight.t() + self.bias


class TwoLayerNet(T.nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = MyLinear(4, 16)
        self.l2 = MyLinear(16, 3)

    def forward(self, x):
        return self.l2(T.relu(self.l1(x)))


T.manual_seed(0)
x = T.randn(90, 4)
y = T.randint(0, 3, (90,))
net = TwoLayerNet()
opt = T.optim.SGD(net.parameters(), lr=0.1)

for epoch in range(5):
    opt.zero_grad()
    loss = T.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    print(epoch, round(loss.item(), 4))
