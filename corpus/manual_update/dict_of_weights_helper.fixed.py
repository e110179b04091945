import torch


def init_weights(n_in, n_out):
    return {
        "weight": torch.randn(n_in, n_out, requires_grad=True),
        "bias": torch.zeros(n_out, requires_grad=True),
    }


def sgd_step(weights, lr):
    for name in weights:
        with torch.no_grad():
            weights[name] -= lr * weights[name].grad
        weights[name].grad.zero_()


def main():
    torch.manual_seed(0)
    x = torch.randn(100, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    weights = init_weights(3, 1)
    for epoch in range(10):
        loss = ((x @ weights["weight"] + weights["bias"] - y) ** 2).mean()
        loss.backward()
        sgd_step(weights, lr=0.1)
        print(epoch, round(loss.item(), 4))


if __name__ == "__main__":
    main()
