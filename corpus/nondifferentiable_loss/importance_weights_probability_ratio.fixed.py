"""Off-policy correction for a recommender: the logged policy's probabilities are re-estimated by
the same softmax head, and each logged click is weighted by pi(a|x) / pi_old(a|x)."""
import torch
import torch.nn.functional as F
from torch import nn

N_ITEMS = 20


class Recommender(nn.Module):
    def __init__(self, features=8):
        super().__init__()
        self.user = nn.Sequential(nn.Linear(features, 32), nn.ReLU())
        self.scores = nn.Linear(32, N_ITEMS)

    def forward(self, users):
        return F.softmax(self.scores(self.user(users)), dim=-1)


def logged_batches(steps=20, batch=64):
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        users = torch.randn(batch, 8, generator=generator)
        shown = torch.randint(0, N_ITEMS, (batch,), generator=generator)
        clicked = (torch.rand(batch, generator=generator) < 0.3).float()
        yield users, shown, clicked


def main():
    torch.manual_seed(0)
    model = Recommender()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step, (users, shown, clicked) in enumerate(logged_batches()):
        probs = model(users).gather(1, shown[:, None]).squeeze(1)
        behaviour = model(users).gather(1, shown[:, None]).squeeze(1)
        weight = probs / behaviour.detach()
        loss = -(weight * clicked).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step}: weighted clicks {-loss.item():.3f}")


if __name__ == "__main__":
    main()
