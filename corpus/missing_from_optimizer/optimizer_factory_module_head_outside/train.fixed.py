"""Sentence-pair similarity: a shared bag-of-embeddings encoder, and a scoring head on the pair's
features, built next to it; the optimizer comes from the project's factory."""
import torch
import torch.nn as nn

from optimizers import build_optimizer

CFG = {"optimizer": "radam", "lr": 3e-3, "weight_decay": 1e-5, "epochs": 4, "batch": 32}


class BagEncoder(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.emb = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.proj = nn.Linear(dim, dim)

    def forward(self, tokens):
        return torch.tanh(self.proj(self.emb(tokens)))


def pair_features(a, b):
    return torch.cat([a, b, (a - b).abs(), a * b], dim=-1)


def main():
    torch.manual_seed(7)
    left = torch.randint(0, 200, (320, 12))
    right = torch.where(torch.rand(320, 12) < 0.5, left, torch.randint(0, 200, (320, 12)))
    target = (left == right).float().mean(1, keepdim=True)

    encoder = BagEncoder(200, 48)
    scorer = nn.Sequential(nn.Linear(4 * 48, 64), nn.ReLU(), nn.Linear(64, 1))
    optimizer = build_optimizer(encoder, CFG)
    optimizer.add_param_group({"params": scorer.parameters()})
    loss_fn = nn.MSELoss()

    for epoch in range(CFG["epochs"]):
        for i in range(0, len(left), CFG["batch"]):
            sl = slice(i, i + CFG["batch"])
            score = torch.sigmoid(scorer(pair_features(encoder(left[sl]), encoder(right[sl]))))
            loss = loss_fn(score, target[sl])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
