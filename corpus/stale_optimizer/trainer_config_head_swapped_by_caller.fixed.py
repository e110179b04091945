"""Transfer a keyword-spotting model to a new label set: the Trainer builds the network and its
Adam optimizer from a config and pretrains on 12 keywords; the caller then swaps the classifier
head for the 3 keywords of the new dataset and trains on."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    n_mels: int = 20
    hidden: int = 32
    n_labels: int = 12
    lr: float = 3e-3


class KeywordNet(nn.Module):
    def __init__(self, n_mels, hidden, n_labels):
        super().__init__()
        self.conv = nn.Conv1d(n_mels, hidden, kernel_size=5, padding=2)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_labels)

    def forward(self, mels):
        features = F.relu(self.conv(mels)).transpose(1, 2)
        _, last = self.gru(features)
        return self.head(last[-1])


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = KeywordNet(cfg.n_mels, cfg.hidden, cfg.n_labels)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)

    def train_epoch(self, mels, labels):
        self.model.train()
        for start in range(0, len(labels), 16):
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(mels[start:start + 16]), labels[start:start + 16])
            loss.backward()
            self.optimizer.step()
        return loss.item()


def main():
    torch.manual_seed(4)
    source_mels, source_labels = torch.randn(96, 20, 30), torch.randint(0, 12, (96,))
    mels, labels = torch.randn(96, 20, 30), torch.randint(0, 3, (96,))

    trainer = Trainer(Config())
    for epoch in range(4):
        print(f"pretrain {epoch}: loss {trainer.train_epoch(source_mels, source_labels):.4f}")
    # the new dataset has three keywords
    trainer.model.head = nn.Linear(trainer.model.head.in_features, 3)
    trainer.optimizer = torch.optim.Adam(trainer.model.parameters(), lr=trainer.cfg.lr)
    for epoch in range(6):
        print(f"epoch {epoch}: loss {trainer.train_epoch(mels, labels):.4f}")


if __name__ == "__main__":
    main()
