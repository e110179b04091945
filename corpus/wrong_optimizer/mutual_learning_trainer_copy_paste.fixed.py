# Deep mutual learning: two peer networks, each trained on the labels and on the other's output.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def make_peer(width):
    return nn.Sequential(nn.Linear(20, width), nn.ReLU(), nn.Linear(width, 5))


class MutualTrainer:
    def __init__(self, peer_a, peer_b, lr=1e-2):
        self.peer_a, self.peer_b = peer_a, peer_b
        self.opt_a = torch.optim.SGD(peer_a.parameters(), lr=lr, momentum=0.9)
        self.opt_b = torch.optim.SGD(peer_b.parameters(), lr=lr, momentum=0.9)

    @staticmethod
    def kl(logits, other):
        return F.kl_div(F.log_softmax(logits, 1), F.softmax(other.detach(), 1), reduction="batchmean")

    def train_step(self, xb, yb):
        logits_a, logits_b = self.peer_a(xb), self.peer_b(xb)

        loss_a = F.cross_entropy(logits_a, yb) + self.kl(logits_a, logits_b)
        self.opt_a.zero_grad()
        loss_a.backward()
        self.opt_a.step()

        loss_b = F.cross_entropy(logits_b, yb) + self.kl(logits_b, logits_a)
        self.opt_b.zero_grad()
        loss_b.backward()
        self.opt_b.step()
        return loss_a.item(), loss_b.item()


torch.manual_seed(0)
data = TensorDataset(torch.randn(240, 20), torch.randint(0, 5, (240,)))
trainer = MutualTrainer(make_peer(32), make_peer(64))
for epoch in range(3):
    for xb, yb in DataLoader(data, batch_size=40, shuffle=True):
        la, lb = trainer.train_step(xb, yb)
    print(f"epoch {epoch}: peer A {la:.3f} peer B {lb:.3f}")
