"""A tabular regressor whose trainer decays the learning rate linearly to 0 over `total_iters`
given the number of epochs, while it steps the scheduler after every batch: the rate is 0 after
the first few batches and the rest of training changes nothing."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class Trainer:
    def __init__(self, model, loader, epochs, lr=1e-2):
        self.model, self.loader, self.epochs = model, loader, epochs
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = torch.optim.lr_scheduler.LinearLR(self.optimizer, start_factor=1.0, end_factor=0.0, total_iters=epochs * len(self.loader))

    def fit(self):
        for epoch in range(self.epochs):
            for features, target in self.loader:
                loss = nn.functional.mse_loss(self.model(features), target)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                self.scheduler.step()
            print(epoch, loss.item(), self.scheduler.get_last_lr())


data = TensorDataset(torch.randn(512, 10), torch.randn(512, 1))
trainer = Trainer(nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 1)), DataLoader(data, batch_size=32, shuffle=True), epochs=3)
trainer.fit()
