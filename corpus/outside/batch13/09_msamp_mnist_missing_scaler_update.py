# Reproduction modelled on: https://github.com/Azure/MS-AMP/pull/45
# "[Bug Fixed] add scaler.update() in MNIST examples": the MNIST example calls
# scaler.step(optimizer) but never scaler.update(), and the second iteration crashes with
# "RuntimeError: step() has already been called since the last update()."
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
np.random.seed(1)
device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x).float(), dim=1)


def fake_mnist(n=256):
    x = torch.randn(n, 1, 14, 14)
    y = (x[:, 0, :7].mean((1, 2)) > 0).long() * 5 + (x[:, 0, 7:].mean((1, 2)) > 0).long()
    return torch.utils.data.TensorDataset(x, y)


def train(args, model, device, train_loader, optimizer, epoch, scaler):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        with torch.autocast(device_type=device, dtype=amp_dtype):
            output = model(data)
            loss = F.nll_loss(output, target)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        if batch_idx % args["log_interval"] == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)}]\tLoss: {loss.item():.6f}")


def main():
    args = {"batch_size": 32, "epochs": 2, "lr": 1.0, "gamma": 0.7, "log_interval": 4}
    train_loader = torch.utils.data.DataLoader(fake_mnist(), batch_size=args["batch_size"], shuffle=True)
    model = Net().to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args["lr"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args["gamma"])
    scaler = torch.amp.GradScaler(device)
    for epoch in range(1, args["epochs"] + 1):
        train(args, model, device, train_loader, optimizer, epoch, scaler)
        scheduler.step()


if __name__ == "__main__":
    main()
