import torch
import torch.nn as nn

from ops import Snake


class ResBlock(nn.Module):
    def __init__(self, channels, dilation):
        super().__init__()
        self.act1 = Snake(channels)
        self.conv1 = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.act2 = Snake(channels)
        self.conv2 = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        return x + self.conv2(self.act2(self.conv1(self.act1(x))))


class Vocoder(nn.Module):
    def __init__(self, mels=20, channels=32):
        super().__init__()
        self.pre = nn.Conv1d(mels, channels, 7, padding=3)
        self.blocks = nn.Sequential(*(ResBlock(channels, d) for d in (1, 3, 9)))
        self.post = nn.Conv1d(channels, 1, 7, padding=3)

    def forward(self, mel):
        return torch.tanh(self.post(self.blocks(self.pre(mel))))


def train(model, steps=50):
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.8, 0.99))
    for step in range(steps):
        mel = torch.randn(4, 20, 64)
        wave = torch.tanh(mel.mean(1, keepdim=True))
        loss = (model(mel) - wave).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 0:
            print(f"step {step} l1 {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(Vocoder())
