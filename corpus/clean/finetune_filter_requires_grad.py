import torch
import torch.nn as nn
from torch.optim import Adam


def build_model():
    return nn.Sequential(
        nn.Linear(20, 64),
        nn.ReLU(),
        nn.Linear(64, 32),
        nn.ReLU(),
        nn.Linear(32, 3),
    )


def main():
    torch.manual_seed(0)
    model = build_model()

    # fine-tune only the last two linear layers
    for p in model[0].parameters():
        p.requires_grad = False

    optimizer = Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    x = torch.randn(64, 20)
    y = torch.randint(0, 3, (64,))

    for epoch in range(4):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch} loss={loss.item():.4f}")


if __name__ == "__main__":
    main()
