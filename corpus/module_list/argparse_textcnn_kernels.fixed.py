import argparse

import torch


class TextCNN(torch.nn.Module):
    def __init__(self, vocab, dim, kernels, channels, classes):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, dim)
        self.convs = torch.nn.ModuleList([torch.nn.Conv1d(dim, channels, k) for k in kernels])
        self.fc = torch.nn.Linear(channels * len(kernels), classes)

    def forward(self, tokens):
        x = self.embed(tokens).transpose(1, 2)
        pooled = [torch.relu(conv(x)).max(dim=2).values for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", type=int, default=100)
    parser.add_argument("--dim", type=int, default=16)
    parser.add_argument("--kernels", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()

    torch.manual_seed(0)
    tokens = torch.randint(0, args.vocab, (32, 20))
    labels = torch.randint(0, 2, (32,))

    model = TextCNN(args.vocab, args.dim, args.kernels, args.channels, classes=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    criterion = torch.nn.CrossEntropyLoss()

    for step in range(args.steps):
        optimizer.zero_grad()
        loss = criterion(model(tokens), labels)
        loss.backward()
        optimizer.step()
        print(f"step {step}: {loss.item():.4f}")


if __name__ == "__main__":
    main()
