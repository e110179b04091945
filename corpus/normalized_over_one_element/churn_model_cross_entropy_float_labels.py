# A churn model with one output logit, trained with nn.CrossEntropyLoss on float labels shaped
# like the output, as if it were a binary loss. Over one class the loss is 0 for every customer
# (the log-softmax of a single logit is 0), so the model never moves.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

features = torch.randn(600, 10)
churned = (features[:, 0] - 0.5 * features[:, 3] + 0.3 * torch.randn(600) > 0.4).float()
loader = DataLoader(TensorDataset(features, churned), batch_size=50, shuffle=True)


class ChurnNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.layers(x)


net = ChurnNet()
loss_fn = nn.CrossEntropyLoss(reduction="mean")
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3)


def train_epoch():
    net.train()
    for x, y in loader:
        logit = net(x)
        loss = loss_fn(logit, y.unsqueeze(1))
        opt.zero_grad()
        loss.backward()
        opt.step()


for epoch in range(5):
    train_epoch()
