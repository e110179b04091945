"""EMNIST (balanced, 47 classes) CNN trained with AdamW + cosine annealing + linear LR warmup
(pytorch_warmup-style `dampening()` API, vendored below so the script is self-contained).
"""
import argparse
import math
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class BaseWarmup:
    """Multiplies the learning rate of every param group by a warmup factor omega in (0, 1]."""

    def __init__(self, optimizer, warmup_params, last_step=-1):
        self.optimizer, self.warmup_params, self.last_step = optimizer, warmup_params, last_step
        self.lrs = [group['lr'] for group in optimizer.param_groups]
        self.dampen()

    @contextmanager
    def dampening(self):
        for group, lr in zip(self.optimizer.param_groups, self.lrs):
            group['lr'] = lr
        yield
        self.lrs = [group['lr'] for group in self.optimizer.param_groups]
        self.dampen()

    def dampen(self, step=None):
        if step is None:
            step = self.last_step + 1
        self.last_step = step
        for group, params in zip(self.optimizer.param_groups, self.warmup_params):
            group['lr'] *= self.warmup_factor(step, **params)

    def warmup_factor(self, step, **params):
        raise NotImplementedError


class LinearWarmup(BaseWarmup):
    def __init__(self, optimizer, warmup_period, last_step=-1):
        params = [dict(warmup_period=warmup_period) for _ in optimizer.param_groups]
        super().__init__(optimizer, params, last_step)

    def warmup_factor(self, step, warmup_period):
        return min(1.0, (step + 1) / warmup_period)


class UntunedLinearWarmup(LinearWarmup):
    def __init__(self, optimizer, last_step=-1):
        beta2 = optimizer.param_groups[0]['betas'][1]
        super().__init__(optimizer, warmup_period=math.ceil(2.0 / (1 - beta2)), last_step=last_step)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5, 1)
        self.conv2 = nn.Conv2d(20, 50, 5, 1)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 47)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
        x = F.relu(self.fc1(x.view(-1, 4 * 4 * 50)))
        return F.log_softmax(self.fc2(x), dim=1)


def train(args, model, device, train_loader, optimizer, lr_scheduler, warmup_scheduler, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        lr = optimizer.param_groups[0]['lr']
        data, target = data.to(device), target.to(device)
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        with warmup_scheduler.dampening():
            lr_scheduler.step()
        if (batch_idx + 1) % args.log_interval == 0:
            print('Train Epoch: {} [{}/{}]\tLoss: {:.6f} LR: {:.6f}'.format(
                epoch, (batch_idx + 1) * len(data), len(train_loader.dataset), loss.item(), lr))


def test(model, device, test_loader):
    model.eval()
    correct, test_loss = 0, 0.0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data.to(device))
            test_loss += F.nll_loss(output, target.to(device), reduction='sum').item()
            correct += output.argmax(dim=1).eq(target.to(device)).sum().item()
    n = len(test_loader.dataset)
    print('Test set: Average loss: {:.4f}, Accuracy: {}/{}'.format(test_loss / n, correct, n))


def synthetic_emnist(n, generator):
    labels = torch.randint(0, 47, (n,), generator=generator)
    images = torch.zeros(n, 1, 28, 28)
    for i, c in enumerate(labels.tolist()):  # a class-dependent stroke pattern plus noise
        images[i, 0, 4 + c % 20, 4:24] = 1.0
        images[i, 0, 4:24, 4 + (c * 7) % 20] = 1.0
    images += 0.2 * torch.randn(images.shape, generator=generator)
    return TensorDataset((images - 0.1751) / 0.3332, labels)


def main():
    parser = argparse.ArgumentParser(description='PyTorch EMNIST Example')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--epochs', type=int, default=2)
    parser.add_argument('--lr', type=float, default=0.01)
    parser.add_argument('--lr-min', type=float, default=1e-5)
    parser.add_argument('--wd', type=float, default=0.01)
    parser.add_argument('--beta2', type=float, default=0.999)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--log-interval', type=int, default=4)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    g = torch.Generator().manual_seed(args.seed)
    train_loader = DataLoader(synthetic_emnist(256, g), batch_size=args.batch_size, shuffle=True, drop_last=True)
    test_loader = DataLoader(synthetic_emnist(128, g), batch_size=128, shuffle=False)

    model = Net().to(device)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, args.beta2), weight_decay=args.wd)
    num_steps = len(train_loader) * args.epochs
    lr_scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_steps, eta_min=args.lr_min)
    warmup_scheduler = UntunedLinearWarmup(optimizer)

    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, lr_scheduler, warmup_scheduler, epoch)
        test(model, device, test_loader)


if __name__ == '__main__':
    main()
