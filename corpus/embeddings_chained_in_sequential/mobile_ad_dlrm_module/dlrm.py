"""A DLRM-style click model: a bottom MLP turns the dense features into one vector, the sparse
tables (passed in, one table per categorical field) turn the field ids into vectors, all pairwise
dot products between those vectors are taken, and a top MLP maps them to a click logit."""
import torch
from torch import nn


def mlp(sizes):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class DLRM(nn.Module):
    def __init__(self, sparse_tables, n_dense, dim):
        super().__init__()
        self.sparse_tables = sparse_tables
        self.bottom = mlp([n_dense, 32, dim])
        n_vectors = len(sparse_tables) + 1
        self.pairs = torch.triu_indices(n_vectors, n_vectors, offset=1)
        self.top = mlp([dim + self.pairs.shape[1], 64, 1])

    def interact(self, dense_vector, field_ids):
        sparse_vectors = self.sparse_tables(field_ids)
        vectors = torch.cat([dense_vector.unsqueeze(1), sparse_vectors], dim=1)
        dots = vectors @ vectors.transpose(1, 2)
        return dots[:, self.pairs[0], self.pairs[1]]

    def forward(self, dense, field_ids):
        dense_vector = self.bottom(dense)
        pairwise = self.interact(dense_vector, field_ids)
        return self.top(torch.cat([dense_vector, pairwise], dim=1)).squeeze(1)
