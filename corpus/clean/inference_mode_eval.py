import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class MLP(nn.Module):
    def __init__(self, in_dim, hidden, out_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))

    def forward(self, x):
        return self.net(x)


parser = argparse.ArgumentParser(description="train then predict")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--hidden", type=int, default=24)
args = parser.parse_args()

device = "cpu"
torch.manual_seed(0)
x_train = torch.randn(96, 4, device=device)
y_train = torch.randint(0, 3, (96,), device=device)
x_test = torch.randn(10, 4, device=device)

model = MLP(4, args.hidden, 3).to(device)
optimizer = optim.RMSprop(model.parameters(), lr=args.lr)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(args.epochs):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(x_train), y_train)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")

model.eval()
with torch.inference_mode():
    preds = model(x_test).argmax(dim=1)
print("predictions:", preds.tolist())
