import argparse

import torch as T
import torch.nn as nn


def parse_args():
    p = argparse.ArgumentParser(description="noisy sine fit")
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--hidden", type=int, default=24)
    p.add_argument("--max-norm", type=float, default=1.0)
    return p.parse_args()


def main():
    args = parse_args()
    T.manual_seed(0)
    x = T.linspace(-3, 3, 120).unsqueeze(1)
    y = T.sin(x) + 0.05 * T.randn_like(x)

    net = nn.Sequential(nn.Linear(1, args.hidden), nn.Tanh(), nn.Linear(args.hidden, 1))
    opt = T.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, nesterov=True)

    for step in range(args.steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), args.max_norm)
        opt.step()
        if step % 5 == 0:
            print(f"step {step:3d}  loss {loss.item():.5f}")


if __name__ == "__main__":
    main()
