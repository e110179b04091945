"""Prompt tuning: learnable prompt vectors prepended to a small encoder's input."""
import argparse

import torch


class PromptedEncoder(torch.nn.Module):
    def __init__(self, n_prompt, dim, classes):
        super().__init__()
        self.prompt = torch.nn.Parameter(torch.randn(n_prompt, dim))
        self.encoder = torch.nn.GRU(dim, dim, batch_first=True)
        self.head = torch.nn.Linear(dim, classes)

    def forward(self, x):
        prompt = self.prompt.unsqueeze(0).expand(x.size(0), -1, -1)
        _, h = self.encoder(torch.cat([prompt, x], dim=1))
        return self.head(h[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-prompt", type=int, default=4)
    parser.add_argument("--dim", type=int, default=12)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(32, 6, args.dim)
    y = torch.randint(0, 3, (32,))

    model = PromptedEncoder(args.n_prompt, args.dim, classes=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for step in range(args.steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
