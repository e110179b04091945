"""Train, prune, fine-tune: the pruned layers of the MLP are new nn.Linear modules, made by a
helper after the optimizer was built."""
import torch
import torch.nn as nn
import torch.optim as optim


class MLP(nn.Module):
    def __init__(self, n_in=20, hidden=64, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, hidden)
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def prune_hidden_units(net, keep):
    """Keep the `keep` hidden units whose incoming weights have the largest norm."""
    with torch.no_grad():
        order = net.fc1.weight.norm(dim=1).argsort(descending=True)[:keep]
        fc1 = nn.Linear(net.fc1.in_features, keep)
        fc2 = nn.Linear(keep, net.fc2.out_features)
        fc1.weight.copy_(net.fc1.weight[order])
        fc1.bias.copy_(net.fc1.bias[order])
        fc2.weight.copy_(net.fc2.weight[:, order])
        fc2.bias.copy_(net.fc2.bias)
    net.fc1 = fc1
    net.fc2 = fc2


torch.manual_seed(2)
model = MLP()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

x = torch.randn(256, 20)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def run_epochs(n, tag):
    for epoch in range(n):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"{tag} {epoch}: {loss.item():.4f}")


run_epochs(6, "train")
prune_hidden_units(model, keep=24)
run_epochs(6, "fine-tune")
