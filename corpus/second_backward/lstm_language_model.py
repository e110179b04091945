"""Word-level LSTM language model on a toy corpus, trained with truncated BPTT: the hidden state
is carried from one chunk of the stream to the next."""
import torch
import torch.nn as nn

torch.manual_seed(0)
VOCAB, EMBED, HIDDEN, BPTT = 50, 16, 32, 8


class LanguageModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens, hidden):
        output, hidden = self.lstm(self.embed(tokens), hidden)
        return self.decoder(output), hidden

    def init_hidden(self, batch):
        zeros = torch.zeros(2, batch, HIDDEN)
        return (zeros, zeros.clone())


def batchify(stream, batch):
    usable = stream.numel() // batch * batch
    return stream[:usable].view(batch, -1)


def train(model, data, epochs=2, lr=0.01):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        hidden = model.init_hidden(data.size(0))
        for start in range(0, data.size(1) - 1 - BPTT, BPTT):
            inputs = data[:, start : start + BPTT]
            targets = data[:, start + 1 : start + 1 + BPTT]
            logits, hidden = model(inputs, hidden)
            loss = criterion(logits.reshape(-1, VOCAB), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


if __name__ == "__main__":
    stream = torch.randint(0, VOCAB, (4000,))
    train(LanguageModel(), batchify(stream, 8))
