# Purchase prediction from web-shop sessions: each session is a log of events (view, search,
# add to cart, remove, checkout page) with the seconds since the previous event. Events are
# embedded, joined with the log of the time gap, padded by a collate function and packed for a
# GRU whose final state predicts whether the session ends in a purchase.
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence as pack
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
EVENT_TYPES, DIM, HIDDEN = 5, 12, 24


def make_session():
    length = int(torch.randint(3, 40, ()).item())
    events = torch.randint(0, EVENT_TYPES, (length,))
    gaps = torch.distributions.Exponential(0.05).sample((length,))
    carts = (events == 2).sum() - (events == 3).sum()
    bought = float(carts > 1 and (events == 4).any())
    return events, gaps, bought


def collate(batch):
    events, gaps, bought = zip(*batch)
    lengths = torch.tensor([len(e) for e in events])
    return pad_sequence(events, batch_first=True), pad_sequence(gaps, batch_first=True), lengths, torch.tensor(bought)


sessions = [make_session() for _ in range(320)]
loader = DataLoader(sessions, batch_size=32, shuffle=True, collate_fn=collate)

embed = nn.Embedding(EVENT_TYPES, DIM)
gru = nn.GRU(DIM + 1, HIDDEN, batch_first=True)
head = nn.Linear(HIDDEN, 1)
params = [*embed.parameters(), *gru.parameters(), *head.parameters()]
optimizer = torch.optim.Adam(params, lr=1e-2)

for epoch in range(5):
    total = 0.0
    for events, gaps, lengths, bought in loader:
        steps = torch.cat([embed(events), torch.log1p(gaps)[..., None]], dim=-1)
        _, last = gru(pack(steps, lengths, batch_first=True, enforce_sorted=False))
        logits = head(last[-1]).squeeze(-1)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, bought)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}")
