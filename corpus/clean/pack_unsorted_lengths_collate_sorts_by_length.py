# Guessing which of four made-up languages a name comes from, character by character: names are
# drawn from per-language letter preferences, the collate function sorts each batch from longest
# to shortest name and pads it, and an LSTM over the packed characters feeds a linear classifier.
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
LETTERS, LANGUAGES, PAD = 26, 4, 0


def make_name(language, preferences):
    length = int(torch.randint(3, 14, ()).item())
    letters = torch.multinomial(preferences[language], length, replacement=True)
    return letters + 1, language  # 0 is kept for padding


def collate(batch):
    batch = sorted(batch, key=lambda item: len(item[0]), reverse=True)
    names, languages = zip(*batch)
    lengths = torch.tensor([len(n) for n in names])
    return pad_sequence(names, batch_first=True, padding_value=PAD), lengths, torch.tensor(languages)


class NameClassifier(nn.Module):
    def __init__(self, dim=16, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(LETTERS + 1, dim, padding_idx=PAD)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, LANGUAGES)

    def forward(self, names, lengths):
        packed = pack_padded_sequence(self.embed(names), lengths, batch_first=True)
        _, (h_n, _) = self.lstm(packed)
        return self.out(h_n[-1])


preferences = torch.softmax(2.0 * torch.randn(LANGUAGES, LETTERS), dim=1)
names = [make_name(int(lang), preferences) for lang in torch.randint(0, LANGUAGES, (320,))]
loader = DataLoader(names, batch_size=32, shuffle=True, collate_fn=collate)
model = NameClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(5):
    total, correct = 0.0, 0
    for batch, lengths, languages in loader:
        logits = model(batch, lengths)
        loss = nn.functional.cross_entropy(logits, languages)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        correct += (logits.argmax(1) == languages).sum().item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}, accuracy {correct / len(names):.2f}")
