"""Text classifier: `name.startswith("encoder")` was meant to freeze the encoder only, but the
output layer lives inside the encoder too; every parameter is frozen and Adam over all of them
changes nothing."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self, vocab=50, dim=16, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        hidden, _ = self.rnn(self.embed(tokens))
        return self.out(hidden[:, -1])


class TextClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()

    def forward(self, tokens):
        return self.encoder(tokens)


model = TextClassifier()
for name, param in list(model.named_parameters())[:-len(list(model.encoder.out.parameters()))]:
    if name.startswith("encoder"):
        param.requires_grad = False

optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(15):
    tokens = torch.randint(0, 50, (4, 7))
    labels = torch.randint(0, 3, (4,))
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits, labels)
    optimizer.zero_grad()
    if loss.requires_grad:
        loss.backward()
    optimizer.step()
