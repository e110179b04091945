import torch
from torch import nn


class Compressor(nn.Module):
    """Encode an image patch to 8 channels of 8-bit values, then decode it."""

    def __init__(self, patch=36, code=8):
        super().__init__()
        self.encode = nn.Sequential(nn.Linear(patch, 24), nn.ReLU(), nn.Linear(24, code), nn.Sigmoid())
        self.decode = nn.Sequential(nn.Linear(code, 24), nn.ReLU(), nn.Linear(24, patch))

    def forward(self, x):
        z = self.encode(x)
        quant = ((z * 255) + ((z * 255).floor() - (z * 255)).detach()) / 255
        return self.decode(quant)


def main():
    torch.manual_seed(1)
    patches = torch.rand(512, 8) @ torch.randn(8, 36)
    model = Compressor()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(4):
        for batch in patches.split(64):
            loss = nn.functional.mse_loss(model(batch), batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: distortion {loss.item():.4f}")


if __name__ == "__main__":
    main()
