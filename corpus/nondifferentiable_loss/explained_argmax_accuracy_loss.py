import torch
import torch.nn as nn
import torch.optim as optim


def build_model(in_dim=16, num_classes=4):
    return nn.Sequential(
        nn.Linear(in_dim, 32),
        nn.ReLU(),
        nn.Linear(32, num_classes),
    )


def main():
    torch.manual_seed(0)
    x = torch.randn(128, 16)
    y = torch.randint(0, 4, (128,))

    model = build_model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    for epoch in range(5):
        optimizer.zero_grad()
        logits = model(x)
        # optimise what we report: the error rate
        accuracy = (logits.argmax(dim=1) == y).float().mean()
        loss = 1.0 - accuracy
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: error {loss.item():.4f}")


if __name__ == "__main__":
    main()
