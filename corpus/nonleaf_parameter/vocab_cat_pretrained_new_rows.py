"""Bag-of-words sentiment model: pretrained word vectors extended with rows for new words."""
import torch
import torch.nn.functional as F


def load_vectors(n_words, dim):
    torch.manual_seed(42)
    return torch.randn(n_words, dim) * 0.3


def main():
    known, new, dim = 80, 20, 16
    pretrained = load_vectors(known, dim).requires_grad_(True)
    new_rows = torch.zeros(new, dim, requires_grad=True)
    vectors = torch.cat([pretrained, new_rows], dim=0)
    classifier = torch.nn.Linear(dim, 2)
    optimizer = torch.optim.Adam([vectors, *classifier.parameters()], lr=5e-3)

    for step in range(100):
        ids = torch.randint(0, known + new, (32, 7))
        labels = (ids < 50).sum(dim=1).gt(3).long()
        sentence = F.embedding(ids, vectors).mean(dim=1)
        loss = F.cross_entropy(classifier(sentence), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
