"""Multi-task learning on synthetic sequences: a shared GRU encoder, a tagging head and a
sequence-classification head, each task with its own optimizer (the tagger's owns the encoder)."""
import torch
from torch import nn, optim

VOCAB, TAGS, CLASSES, LENGTH = 30, 4, 2, 12


class Encoder(nn.Module):
    def __init__(self, dim=24):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        return states


def make_batch(n=32):
    tokens = torch.randint(0, VOCAB, (n, LENGTH))
    tags = tokens % TAGS
    label = (tokens[:, 0] > tokens[:, -1]).long()
    return tokens, tags, label


class Trainer:
    def __init__(self):
        self.encoder = Encoder()
        self.tagger = nn.Linear(24, TAGS)
        self.classifier = nn.Linear(24, CLASSES)
        self.tag_opt = optim.Adam(list(self.encoder.parameters()) + list(self.tagger.parameters()), lr=3e-3)
        self.cls_opt = optim.Adam(self.classifier.parameters(), lr=3e-3)
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, tokens, tags, label):
        states = self.encoder(tokens)
        tag_loss = self.criterion(self.tagger(states).reshape(-1, TAGS), tags.reshape(-1))

        self.tag_opt.zero_grad()
        tag_loss.backward(retain_graph=True)
        self.tag_opt.step()
        states = self.encoder(tokens)
        cls_loss = self.criterion(self.classifier(states[:, -1]), label)

        self.cls_opt.zero_grad()
        cls_loss.backward()
        self.cls_opt.step()
        return tag_loss.item(), cls_loss.item()


if __name__ == "__main__":
    torch.manual_seed(7)
    trainer = Trainer()
    for step in range(40):
        losses = trainer.train_step(*make_batch())
        if step % 10 == 0:
            print(step, [round(v, 3) for v in losses])
