# Sentiment classification of short synthetic product reviews: token ids are embedded, an LSTM
# reads each zero-padded review (packed, so the padding is skipped) and its last hidden state is
# classified as negative or positive. Every epoch draws the batches from a fresh random order.
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

torch.manual_seed(0)
VOCAB, PAD, BATCH = 300, 0, 25


def make_review(label):
    """Filler words with a sprinkling of cue words: ids 1-4 read negative, 6-9 positive."""
    length = int(torch.randint(4, 30, ()).item())
    filler = torch.randint(10, VOCAB, (length,))
    cues = torch.randint(1, 5, (length,)) + 5 * label
    return torch.where(torch.rand(length) < 0.25, cues, filler)


class SentenceClassifier(nn.Module):
    def __init__(self, vocab, dim=32, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=PAD)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(
            self.embed(tokens),
            lengths,
            batch_first=True,
        )
        _, (h_n, _) = self.lstm(packed)
        return self.out(h_n[-1])


labels = torch.randint(0, 2, (400,))
reviews = [make_review(int(y)) for y in labels]
lengths = torch.tensor([len(r) for r in reviews])
model = SentenceClassifier(VOCAB)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(5):
    order = torch.randperm(len(reviews))
    total, correct = 0.0, 0
    for start in range(0, len(reviews), BATCH):
        idx = order[start:start + BATCH]
        tokens = pad_sequence([reviews[i] for i in idx], batch_first=True, padding_value=PAD)
        logits = model(tokens, lengths[idx])
        loss = nn.functional.cross_entropy(logits, labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(idx)
        correct += (logits.argmax(1) == labels[idx]).sum().item()
    print(f"epoch {epoch}: loss {total / len(reviews):.4f}, accuracy {correct / len(reviews):.2f}")
