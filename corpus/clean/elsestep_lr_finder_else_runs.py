"""Text-matching encoder with an optional learning-rate range test: in the range-test mode only
the exponential schedule moves; in normal training (the default) the `else` steps the optimizer
and the cosine schedule on every batch."""
import torch
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR


class PairEncoder(nn.Module):
    def __init__(self, vocab=300, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(dim, 4, 64, batch_first=True), 1)

    def forward(self, tokens):
        return self.encoder(self.embed(tokens)).mean(1)


def run(range_test=False, epochs=3):
    torch.manual_seed(2)
    left, right = torch.randint(0, 300, (2, 24, 6))
    same = (left[:, 0] % 2 == right[:, 0] % 2).float()
    model = PairEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    finder = ExponentialLR(optimizer, gamma=1.5)
    cosine = CosineAnnealingLR(optimizer, T_max=epochs * 3)
    for epoch in range(epochs):
        for i in range(0, 24, 8):
            score = nn.functional.cosine_similarity(model(left[i:i + 8]), model(right[i:i + 8]))
            loss = nn.functional.binary_cross_entropy_with_logits(5 * score, same[i:i + 8])
            optimizer.zero_grad()
            loss.backward()
            if range_test:
                finder.step()
            else:
                optimizer.step()
                cosine.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    run()
