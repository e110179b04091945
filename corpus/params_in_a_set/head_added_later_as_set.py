# Progressive unfreezing: the backbone trains first, then a freshly attached head is added to the
# running optimizer with add_param_group, its parameters passed as a set, which torch refuses:
# "optimizer parameters need to be organized in ordered collections".
import torch
import torch.nn as nn

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 20), nn.Tanh())
        self.head = None

    def forward(self, x):
        features = self.backbone(x)
        return features.mean(dim=1, keepdim=True) if self.head is None else self.head(features)


def run(epochs=3, steps=4):
    net = Net()
    optimizer = torch.optim.Adam(net.backbone.parameters(), lr=1e-2)
    x, y = torch.randn(48, 6), torch.randn(48, 1)
    for epoch in range(epochs):
        if epoch == 1:
            net.head = nn.Linear(20, 1)
            optimizer.add_param_group({"params": set(net.head.parameters()), "lr": 5e-3})
        for _ in range(steps):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(net(x), y)
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    run()
