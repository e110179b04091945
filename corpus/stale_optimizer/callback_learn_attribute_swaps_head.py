"""A fastai-style callback keeps a reference to its learner (``self.learn``) and, once warm-up is
over, replaces the warm-up head with a deeper one. The learner built its optimizer in
``__init__`` from the learning rate it was given; after the swap it keeps stepping the old head."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        return self.head(self.features(x))


class DeepenHead:
    def __init__(self, after_epoch):
        self.after_epoch = after_epoch
        self.learn = None

    def after_epoch_end(self):
        if self.learn.epoch == self.after_epoch:
            width = self.learn.model.head.in_features
            self.learn.model.head = nn.Sequential(nn.Linear(width, 16), nn.ReLU(), nn.Linear(16, 3))


class Learner:
    def __init__(self, model, lr, callbacks):
        self.model = model
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)
        self.callbacks = callbacks
        for callback in callbacks:
            callback.learn = self
        self.epoch = 0

    def fit(self, x, y, epochs):
        for self.epoch in range(epochs):
            for start in range(0, len(x), 20):
                loss = F.cross_entropy(self.model(x[start:start + 20]), y[start:start + 20])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            for callback in self.callbacks:
                callback.after_epoch_end()
            print(f"epoch {self.epoch}: loss {loss.item():.4f}")


x, y = torch.randn(100, 12), torch.randint(0, 3, (100,))
learner = Learner(Backbone(), lr=0.03, callbacks=[DeepenHead(after_epoch=1)])
learner.fit(x, y, epochs=4)
