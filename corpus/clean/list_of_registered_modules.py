import torch
import torch.nn as nn
import torch.optim as optim


class EncoderDecoder(nn.Module):
    def __init__(self, dim=10, hidden=20, depth=2):
        super().__init__()
        self.encoder = nn.Linear(dim, hidden)
        self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(depth)])
        self.decoder = nn.Linear(hidden, dim)
        # plain list for convenient iteration; every module in it is registered above
        self.pipeline = [self.encoder, *self.blocks, self.decoder]

    def forward(self, x):
        for i, layer in enumerate(self.pipeline):
            x = layer(x)
            if i < len(self.pipeline) - 1:
                x = torch.tanh(x)
        return x


def main():
    torch.manual_seed(0)
    data = torch.randn(80, 10)
    model = EncoderDecoder()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)

    for epoch in range(6):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(data), data)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: reconstruction {loss.item():.4f}")


if __name__ == "__main__":
    main()
