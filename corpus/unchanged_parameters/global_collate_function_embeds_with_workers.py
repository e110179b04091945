"""The collate function pads token ids and hands them to a module-level helper that embeds them
under no_grad, in two worker processes: the embedding table, a param group of the optimizer, is
found through the functions' globals, and never trains."""
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
VOCAB, DIM = 40, 10
embedding = nn.Embedding(VOCAB, DIM, padding_idx=0)


def embed(ids):
    with torch.no_grad():
        vectors = embedding(ids)
    return vectors * (ids != 0).unsqueeze(-1)


def pad_and_embed(batch):
    ids = pad_sequence([tokens for tokens, _ in batch], batch_first=True)
    return embed(ids), torch.stack([label for _, label in batch])


sequences = [torch.randint(1, VOCAB, (int(n),)) for n in torch.randint(2, 9, (40,))]
data = [(s, (s.sum() % 2).long()) for s in sequences]
encoder = nn.LSTM(DIM, 12, batch_first=True)
head = nn.Linear(12, 2)
loader = DataLoader(data, batch_size=8, shuffle=True, collate_fn=pad_and_embed, num_workers=2)
optimizer = torch.optim.SGD(
    [{"params": [*encoder.parameters(), *head.parameters()]}, {"params": embedding.parameters(), "lr": 0.5}], lr=0.1
)

for epoch in range(3):
    for vectors, labels in loader:
        optimizer.zero_grad()
        _, (hidden, _) = encoder(vectors)
        loss = nn.functional.cross_entropy(head(hidden[-1]), labels)
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
