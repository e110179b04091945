# A trainer's run_batch() is decorated with @torch.no_grad() so that its bookkeeping (the running
# mean of the loss) records no graph; it calls the step function it is handed, whose forward then
# builds no graph either: backward() raises "element 0 of tensors does not require grad".
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Trainer:
    def __init__(self):
        self.seen = 0
        self.running = 0.0

    @torch.no_grad()
    def run_batch(self, fn, batch):
        with torch.enable_grad():
            loss = fn(batch)
        self.seen += 1
        self.running += (loss.item() - self.running) / self.seen
        return loss


model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(batch):
    x, y = batch
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss


trainer = Trainer()
data = [(torch.randn(16, 6), torch.randint(0, 3, (16,))) for _ in range(8)]
for epoch in range(3):
    for batch in data:
        trainer.run_batch(train_step, batch)
    print(f"epoch {epoch} running loss {trainer.running:.3f}")
