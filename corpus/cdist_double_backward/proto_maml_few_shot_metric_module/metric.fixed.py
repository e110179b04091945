"""Prototype classification head shared by the few-shot experiments: class prototypes are the
mean support embeddings, and logits are negative squared Euclidean distances to them."""
import torch
from torch import cdist
import torch.nn.functional as F


def class_prototypes(embeddings: torch.Tensor, labels: torch.Tensor, n_way: int) -> torch.Tensor:
    one_hot = F.one_hot(labels, n_way).to(embeddings.dtype)
    counts = one_hot.sum(0).clamp(min=1).unsqueeze(1)
    return one_hot.t() @ embeddings / counts


def prototype_logits(query: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    return -cdist(query, prototypes, compute_mode="use_mm_for_euclid_dist").pow(2)


def prototype_loss(support_emb, support_y, query_emb, query_y, n_way):
    protos = class_prototypes(support_emb, support_y, n_way)
    logits = prototype_logits(query_emb, protos)
    loss = F.cross_entropy(logits, query_y)
    acc = (logits.argmax(1) == query_y).float().mean()
    return loss, acc
