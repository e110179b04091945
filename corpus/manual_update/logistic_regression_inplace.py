import torch


def make_data(n=300):
    x = torch.randn(n, 2)
    y = ((x[:, 0] - 0.5 * x[:, 1]) > 0.2).float()
    return x, y


def main():
    torch.manual_seed(0)
    x, y = make_data()
    w = torch.randn(2, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    lr = 0.5

    for step in range(50):
        logits = x @ w + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        if step % 10 == 0:
            acc = ((logits > 0).float() == y).float().mean()
            print(f"step {step}: loss {loss.item():.4f} acc {acc.item():.3f}")


if __name__ == "__main__":
    main()
