# A callback runner is decorated with @torch.no_grad() because its callbacks were meant to only
# count and log; it runs every callback registered for the batch, among them the training step
# itself, whose forward then builds no graph: backward() raises.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Callbacks:
    def __init__(self):
        self.on_batch = []

    def register(self, fn):
        self.on_batch.append(fn)
        return fn

    @torch.no_grad()
    def batch_end(self, images, labels):
        for callback in self.on_batch:
            callback(images, labels)


net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
callbacks = Callbacks()
seen = {"images": 0}


@callbacks.register
def count(images, labels):
    seen["images"] += images.shape[0]


@callbacks.register
def train(images, labels):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(net(images), labels)
    loss.backward()
    optimizer.step()


batches = [(torch.randn(10, 8, 8), torch.randint(0, 4, (10,))) for _ in range(5)]
for epoch in range(4):
    for images, labels in batches:
        callbacks.batch_end(images, labels)
print("images seen:", seen["images"])
