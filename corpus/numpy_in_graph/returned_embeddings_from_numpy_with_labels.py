# A metric-learning trainer whose encoder step returns NumPy embeddings next to the labels (the
# nearest-centroid evaluation wants arrays); the loss wraps them back with torch.from_numpy.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class CentroidTrainer:
    def __init__(self, encoder, n_classes, dim):
        self.encoder = encoder
        self.centroids = nn.Parameter(torch.randn(n_classes, dim))
        self.optimizer = torch.optim.Adam([*encoder.parameters(), self.centroids], lr=1e-2)

    def embed(self, batch, labels):
        return self.encoder(batch).detach().cpu().numpy(), labels.numpy()

    def step(self, batch, labels):
        emb, lab = self.embed(batch, labels)
        distances = torch.cdist(torch.from_numpy(emb), self.centroids)
        loss = F.cross_entropy(-distances, torch.from_numpy(lab))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    np.random.seed(0)
    data = torch.randn(128, 12)
    labels = (data[:, 0] > 0).long()
    trainer = CentroidTrainer(nn.Sequential(nn.Linear(12, 24), nn.Tanh(), nn.Linear(24, 6)), 2, 6)
    for epoch in range(10):
        print(epoch, trainer.step(data, labels))
