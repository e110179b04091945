# A small trainer class is handed the model (Trainer(model=...)) and, "for speed", casts what it
# holds with self.model.half() in its constructor; the model builds its own optimizer, and the
# loop runs under autocast with a GradScaler.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Recommender(nn.Module):
    def __init__(self, users=50, items=80, dim=16):
        super().__init__()
        self.users = nn.Embedding(users, dim)
        self.items = nn.Embedding(items, dim)

    def forward(self, u, i):
        return (self.users(u) * self.items(i)).sum(dim=-1)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-2)


class Trainer:
    def __init__(self, epochs, model):
        self.epochs = epochs
        self.model = model
        self.model.half()
        self.scaler = torch.amp.GradScaler("cpu")

    def fit(self, u, i, r):
        optimizer = self.model.configure_optimizers()
        for _ in range(self.epochs):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                pred = self.model(u, i)
            loss = F.mse_loss(pred.float(), r)
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()
        return loss.item()


def main():
    u = torch.randint(0, 50, (256,))
    i = torch.randint(0, 80, (256,))
    r = torch.rand(256) * 5
    trainer = Trainer(4, model=Recommender())
    print(trainer.fit(u, i, r))


main()
