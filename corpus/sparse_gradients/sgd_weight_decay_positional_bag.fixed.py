import torch
from torch import nn

BUCKETS, DIM = 2 ** 12, 8


def hashed(features):
    """Hash each categorical feature into one shared table (the hashing trick)."""
    return (features * 2654435761) % BUCKETS


class WideModel(nn.Module):
    def __init__(self):
        super().__init__()
        # (num_embeddings, embedding_dim, max_norm, norm_type, scale_grad_by_freq, mode, sparse)
        self.table = nn.EmbeddingBag(BUCKETS, DIM, None, 2.0, False, "sum", False)
        self.linear = nn.Linear(DIM, 1)

    def forward(self, features):
        return self.linear(self.table(hashed(features))).squeeze(1)


def train(model, features, labels, epochs=3):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=1e-4)
    for epoch in range(epochs):
        for x, y in zip(features.split(64), labels.split(64)):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: logloss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(7)
    features = torch.randint(0, 10_000, (512, 6))
    labels = (features[:, 0] % 3 == 0).float()
    train(WideModel(), features, labels)
