"""Speaker verification: the Trainer gets an optimizer over the encoder and builds its own center
loss (learned class centres) before it stores what it was given."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CenterLoss(nn.Module):
    def __init__(self, num_classes, dim):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, dim) * 0.1)

    def forward(self, feats, labels):
        return ((feats - self.centers[labels]) ** 2).sum(1).mean()


class Trainer:
    def __init__(self, encoder, head, optim, num_speakers, lam=0.05):
        self.center_loss = CenterLoss(num_speakers, 16)
        self.lam = lam
        self.encoder = encoder
        self.head = head
        self.opt = optim
        self.history = []

    def step(self, frames, speakers):
        emb = self.encoder(frames)
        loss = F.cross_entropy(self.head(emb), speakers) + self.lam * self.center_loss(emb, speakers)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.history.append(loss.item())


def main():
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 16))
    head = nn.Linear(16, 6)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-3)
    trainer = Trainer(encoder, head, optimizer, num_speakers=6)
    frames = torch.randn(120, 40)
    speakers = torch.randint(0, 6, (120,))
    for epoch in range(3):
        for i in range(0, 120, 24):
            trainer.step(frames[i:i + 24], speakers[i:i + 24])
        print(f"epoch {epoch}: {trainer.history[-1]:.4f}")


if __name__ == "__main__":
    main()
