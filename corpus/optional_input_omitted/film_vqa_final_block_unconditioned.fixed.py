"""FiLM for visual question answering (CLEVR style, toy data): a GRU encodes the question, and
every residual block of the image tower is modulated by a per-channel scale and shift computed
from it. Synthetic task: is the coloured square named by the question in the picture?"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, Q_LEN, N_COLOURS = 12, 5, 3


class FiLMResBlock(nn.Module):
    def __init__(self, channels, cond_dim=None):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.film = nn.Linear(cond_dim, 2 * channels) if cond_dim is not None else None

    def forward(self, x, cond=None):
        h = F.relu(self.conv1(x))
        h = self.bn(self.conv2(h))
        if self.film is not None and cond is not None:
            gamma, beta = self.film(cond).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
            h = gamma * h + beta
        return x + F.relu(h)


class FiLMNet(nn.Module):
    def __init__(self, channels=24, q_dim=32, n_blocks=3):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.question_rnn = nn.GRU(16, q_dim, batch_first=True)
        self.stem = nn.Conv2d(N_COLOURS, channels, 3, padding=1)
        self.blocks = nn.ModuleList([FiLMResBlock(channels, q_dim) for _ in range(n_blocks)])
        self.last_block = FiLMResBlock(channels, q_dim)
        self.classifier = nn.Linear(channels, 2)

    def forward(self, image, question):
        _, q = self.question_rnn(self.embed(question))
        q = q.squeeze(0)
        h = F.relu(self.stem(image))
        for block in self.blocks:
            h = block(h, q)
        h = self.last_block(h, q)
        return self.classifier(h.mean(dim=(2, 3)))


def make_batch(n=64):
    images = torch.zeros(n, N_COLOURS, 8, 8)
    colours = torch.randint(0, N_COLOURS, (n,))
    present = torch.randint(0, 2, (n,))
    for i in range(n):
        if present[i]:
            r, c = torch.randint(0, 6, (2,)).tolist()
            images[i, colours[i], r : r + 2, c : c + 2] = 1.0
    questions = torch.randint(N_COLOURS, VOCAB, (n, Q_LEN))
    questions[:, 2] = colours  # the token that names the colour asked about
    return images, questions, present


def train():
    torch.manual_seed(1)
    net = FiLMNet()
    optimizer = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    for step in range(80):
        images, questions, answers = make_batch()
        loss = F.cross_entropy(net(images, questions), answers)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 20 == 0:
            print(f"step {step}: loss {loss.item():.3f}")


if __name__ == "__main__":
    train()
