"""Train a binary-weight MLP on synthetic 8x8 digit glyphs, in bfloat16 autocast on the CPU."""
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from torch import nn

from binary_layers import BinaryLinear

SEED = 11
EPOCHS = 4
BATCH = 64


def make_glyphs(n, seed):
    """Ten fixed 8x8 binary prototypes, with flipped pixels and noise."""
    protos = (torch.rand(10, 8, 8, generator=torch.Generator().manual_seed(5)) > 0.5).float()
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (n,), generator=g)
    flips = (torch.rand(n, 8, 8, generator=g) < 0.1).float()
    x = (protos[y] - flips).abs() + 0.2 * torch.randn(n, 8, 8, generator=g)
    return x.unsqueeze(1), y


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    model.train()
    return correct / total


def main():
    torch.manual_seed(SEED)
    train_loader = DataLoader(TensorDataset(*make_glyphs(1024, 1)), batch_size=BATCH, shuffle=True)
    test_loader = DataLoader(TensorDataset(*make_glyphs(256, 2)), batch_size=256)
    model = nn.Sequential(
        nn.Flatten(),
        BinaryLinear(64, 128), nn.BatchNorm1d(128), nn.Hardtanh(),
        BinaryLinear(128, 128), nn.BatchNorm1d(128), nn.Hardtanh(),
        nn.Linear(128, 10),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range(EPOCHS):
        for x, y in train_loader:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for p in model.parameters():
                    if p.dim() == 2:
                        p.clamp_(-1, 1)
        print(f"epoch {epoch}: loss {loss.item():.3f}  test acc {evaluate(model, test_loader):.3f}")


if __name__ == "__main__":
    main()
