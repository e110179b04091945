# Correct: collate_fn is a Trainer's bound method that only stacks tensors, with two workers; the
# model's regression head is unused by this task on purpose. Nothing here runs in the workers but
# the stacking.
# Correct: a Trainer whose collate_fn is its own bound method; the model has a head for another
# task that this run does not use (on purpose). Nothing is run in the workers but padding.
import sys
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.cls_head = nn.Linear(8, 3)
        self.reg_head = nn.Linear(8, 1)  # used by the regression task, not this one

    def forward(self, x):
        return self.cls_head(torch.relu(self.body(x)))

    def regress(self, x):
        return self.reg_head(torch.relu(self.body(x)))


class Trainer:
    def __init__(self, workers):
        self.model = Net()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        data = [(torch.randn(4), torch.randint(0, 3, ())) for _ in range(64)]
        self.loader = DataLoader(data, batch_size=16, collate_fn=self.collate, num_workers=workers)

    def collate(self, batch):
        return torch.stack([x for x, _ in batch]), torch.stack([y for _, y in batch])

    def fit(self, epochs):
        for epoch in range(epochs):
            for x, y in self.loader:
                self.optimizer.zero_grad()
                loss = nn.functional.cross_entropy(self.model(x), y)
                loss.backward()
                self.optimizer.step()
            print(epoch, loss.item())


if __name__ == "__main__":
    Trainer(int(sys.argv[1]) if len(sys.argv) > 1 else 2).fit(3)
