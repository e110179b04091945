# Mixed precision done right, one model per fold in a trainer object: float32 parameters, autocast
# and a GradScaler. After each fold an inference copy is cast to float16 (copy.deepcopy(...).half())
# to score the held-out rows under no_grad; the trained model itself stays float32. Correct code.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FoldTrainer:
    def __init__(self):
        self.nets = [nn.Sequential(nn.Linear(6, 24), nn.ReLU(), nn.Linear(24, 3)) for _ in range(2)]
        self.scaler = torch.amp.GradScaler("cpu")

    def fit(self, fold, x, y):
        net = self.nets[fold]
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        for epoch in range(4):
            optimizer.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = F.cross_entropy(net(x).float(), y)
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()
        scorer = copy.deepcopy(net).half().eval()
        with torch.no_grad():
            accuracy = (scorer(x.half()).argmax(dim=1) == y).float().mean()
        return loss.item(), accuracy.item()


x = torch.randn(80, 6)
y = torch.randint(0, 3, (80,))
trainer = FoldTrainer()
for fold in range(2):
    print(fold, trainer.fit(fold, x, y))
