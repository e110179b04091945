# Character-level GRU language model with a linear warm-up from 0 over the first 500 updates.
import torch
from torch import nn
from torch.optim import lr_scheduler


class CharGRU(nn.Module):
    def __init__(self, vocab=40, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        self.gru = nn.GRU(32, hidden, num_layers=2, batch_first=True)
        self.decoder = nn.Linear(hidden, vocab)

    def forward(self, chars):
        out, _ = self.gru(self.embed(chars))
        return self.decoder(out)


def main():
    torch.manual_seed(0)
    text = torch.randint(0, 40, (4000,))
    model = CharGRU()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    warmup = lr_scheduler.LambdaLR(optimizer, lambda update: min(1.0, update / 500))
    seq_len, batch = 32, 16
    for epoch in range(3):
        for start in range(0, len(text) - seq_len * batch - 1, seq_len * batch):
            chunk = text[start:start + seq_len * batch + 1]
            inputs = chunk[:-1].view(batch, seq_len)
            targets = chunk[1:].view(batch, seq_len)
            logits = model(inputs)
            loss = nn.functional.cross_entropy(logits.reshape(-1, 40), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            warmup.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    main()
