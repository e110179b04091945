"""Fit y = a*sin(x) + c*x + offset in double precision."""
import torch
from torch.optim import Adam


def make_data(n=200):
    x = torch.linspace(-3, 3, n, dtype=torch.float64)
    y = 1.5 * torch.sin(x) + 0.3 * x + 0.05 * torch.randn(n, dtype=torch.float64)
    return x, y


def main():
    torch.manual_seed(0)
    x, y = make_data()

    coeffs = torch.randn(2, dtype=torch.float64, requires_grad=True)
    offset = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = Adam([coeffs, offset], lr=0.05)

    for it in range(50):
        optimizer.zero_grad()
        pred = coeffs[0] * torch.sin(x) + coeffs[1] * x + offset
        loss = torch.mean((pred - y) ** 2)
        loss.backward()
        optimizer.step()
        if it % 10 == 0:
            print(f"iter {it}: mse {loss.item():.6f}")

    print("coeffs:", coeffs.tolist(), "offset:", offset.item())


if __name__ == "__main__":
    main()
