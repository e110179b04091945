import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

ACCUMULATION_STEPS = 4


def build_model():
    return nn.Sequential(
        nn.Linear(8, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Linear(32, 2),
    )


def run():
    torch.manual_seed(11)
    x = torch.randn(320, 8)
    y = (x[:, 0] > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    model = build_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(3):
        for step, (inputs, targets) in enumerate(loader):
            loss = criterion(model(inputs), targets) / ACCUMULATION_STEPS
            loss.backward()
            if (step + 1) % ACCUMULATION_STEPS == 0:
                optimizer.step()
        print(f"epoch {epoch} done, last loss {loss.item() * ACCUMULATION_STEPS:.4f}")


if __name__ == "__main__":
    run()
